"""The http port against loopback HTTPS servers with a throwaway PKI."""

from __future__ import annotations

import json
import socket
import tempfile
import time

import pytest
from stepwasm_host.http import Http, HttpFailure, HttpRequest, TlsConfig

pytestmark = pytest.mark.host


def trusting(pki) -> TlsConfig:
    return TlsConfig(roots=[pki.root.der])


def failure(http: Http, request: HttpRequest) -> HttpFailure:
    with pytest.raises(HttpFailure) as info:
        http.send(request)
    return info.value


def test_trusted_root_returns_the_chain_the_server_sent(pki, tls_server):
    response = Http().send(HttpRequest("GET", tls_server.url("/ok"), tls=trusting(pki)))

    assert response.status == 200
    assert response.body == b"hello"
    assert ("X-Test", "a") in response.headers
    assert response.peer_chain == tls_server.sent_chain
    assert response.peer_chain == [pki.server.der, pki.intermediate.der]


def test_wrong_root_is_a_tls_error(pki, tls_server):
    request = HttpRequest(
        "GET", tls_server.url("/ok"), tls=TlsConfig([pki.other_root.der])
    )

    error = failure(Http(), request)

    assert error.kind == "tls"
    assert "certificate verify failed" in error.message
    assert "unable to get local issuer certificate" in error.message


def test_system_roots_do_not_trust_a_private_ca(tls_server):
    error = failure(Http(), HttpRequest("GET", tls_server.url("/ok")))

    assert error.kind == "tls"
    assert "certificate verify failed" in error.message


def test_hostname_is_checked_against_the_sans(pki, tls_server):
    request = HttpRequest(
        "GET", tls_server.url("/ok", host="localhost"), tls=trusting(pki)
    )

    error = failure(Http(), request)

    assert error.kind == "tls"
    assert "localhost" in error.message.lower()


def test_verify_false_accepts_any_chain_and_still_reports_it(tls_server):
    request = HttpRequest("GET", tls_server.url("/ok"), tls=TlsConfig(verify=False))

    response = Http().send(request)

    assert response.status == 200
    assert response.peer_chain == tls_server.sent_chain


def test_client_certificate_is_presented(pki, mtls_server):
    tls = TlsConfig(
        roots=[pki.root.der],
        client_chain=[pki.client.der],
        client_key=pki.client.key_der,
    )

    response = Http().send(HttpRequest("GET", mtls_server.url("/whoami"), tls=tls))

    assert response.status == 200
    assert response.body == b"client.test"


def test_client_certificate_files_do_not_outlive_the_request(
    pki, mtls_server, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tls = TlsConfig([pki.root.der], [pki.client.der], pki.client.key_der)

    Http().send(HttpRequest("GET", mtls_server.url("/whoami"), tls=tls))

    assert list(tmp_path.iterdir()) == []


def test_server_requiring_a_client_certificate_refuses_us_without_one(pki, mtls_server):
    request = HttpRequest("GET", mtls_server.url("/whoami"), tls=trusting(pki))

    error = failure(Http(), request)

    # The alert ("certificate required") or, when the server closes first, an
    # unexpected EOF: both during TLS.
    assert error.kind == "tls"


def test_mismatched_client_key_is_a_tls_error(pki, mtls_server):
    tls = TlsConfig([pki.root.der], [pki.client.der], pki.server.key_der)

    error = failure(Http(), HttpRequest("GET", mtls_server.url("/whoami"), tls=tls))

    assert error.kind == "tls"
    assert error.message.startswith("client certificate")


def test_client_chain_without_key_is_denied(pki, mtls_server):
    tls = TlsConfig([pki.root.der], [pki.client.der], None)

    error = failure(Http(), HttpRequest("GET", mtls_server.url("/whoami"), tls=tls))

    assert error.kind == "denied"


def test_client_certificates_can_be_disallowed(pki, mtls_server):
    tls = TlsConfig([pki.root.der], [pki.client.der], pki.client.key_der)
    http = Http(allow_client_certificates=False)

    error = failure(http, HttpRequest("GET", mtls_server.url("/whoami"), tls=tls))

    assert error.kind == "denied"


def test_timeout(pki, tls_server):
    request = HttpRequest(
        "GET", tls_server.url("/slow"), tls=trusting(pki), timeout_ms=300
    )
    started = time.monotonic()

    error = failure(Http(), request)

    assert error.kind == "timeout"
    assert time.monotonic() - started < 5  # far below the 30 s default


def test_timeout_covers_the_whole_response(pki, tls_server):
    request = HttpRequest(
        "GET", tls_server.url("/drip"), tls=trusting(pki), timeout_ms=500
    )
    started = time.monotonic()

    error = failure(Http(), request)

    assert error.kind == "timeout"
    assert time.monotonic() - started < 5  # far below the 30 s default


@pytest.mark.parametrize("path", ["/big", "/big-chunked"], ids=["length", "chunked"])
def test_too_large(pki, tls_server, path):
    request = HttpRequest("GET", tls_server.url(path), tls=trusting(pki))

    error = failure(Http(max_response_bytes=1000), request)

    assert error.kind == "too-large"


def test_limit_allows_a_body_of_exactly_the_limit(pki, tls_server):
    request = HttpRequest("GET", tls_server.url("/big"), tls=trusting(pki))

    response = Http(max_response_bytes=5000).send(request)

    assert len(response.body) == 5000


def test_redirect_is_not_followed(pki, tls_server):
    request = HttpRequest("GET", tls_server.url("/redirect"), tls=trusting(pki))

    response = Http().send(request)

    assert response.status == 302
    assert ("Location", "/ok") in response.headers


def test_headers_query_and_body_reach_the_server(pki, tls_server):
    request = HttpRequest(
        "GET",
        tls_server.url("/echo?a=1#frag"),
        headers=[("Accept", "application/json"), ("X-Kid", "abc")],
        tls=trusting(pki),
    )

    response = Http().send(request)
    seen = json.loads(response.body)

    assert seen["path"] == "/echo?a=1"
    assert seen["headers"]["X-Kid"] == "abc"
    assert seen["headers"]["User-Agent"] == "stepwasm"
    assert ("Set-Cookie", "a=1") in response.headers


def test_post_body(pki, tls_server):
    request = HttpRequest(
        "POST", tls_server.url("/sign"), body=b"abc", tls=trusting(pki)
    )

    assert Http().send(request).body == b"cba"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:1/", "ftp://127.0.0.1/", "file:///etc/passwd", "https:///x"],
    ids=["http", "ftp", "file", "no-host"],
)
def test_only_https_urls(url):
    error = failure(Http(), HttpRequest("GET", url))

    assert error.kind == "denied"


def test_credentials_in_url_are_denied():
    error = failure(Http(), HttpRequest("GET", "https://u:p@127.0.0.1:1/"))

    assert error.kind == "denied"


def test_origin_allowlist(pki, tls_server):
    allowed = Http(allowed_origins=[f"https://127.0.0.1:{tls_server.port}"])
    other = Http(allowed_origins=["https://127.0.0.1:1"])
    request = HttpRequest("GET", tls_server.url("/ok"), tls=trusting(pki))

    assert allowed.send(request).status == 200
    assert failure(other, request).kind == "denied"
    assert "origin not allowed" in failure(other, request).message


def test_default_port_is_part_of_the_origin():
    http = Http(allowed_origins=["https://127.0.0.1"])

    error = failure(http, HttpRequest("GET", "https://127.0.0.1:8443/"))

    assert error.kind == "denied"


def test_plain_http_when_the_host_allows_it():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    http = Http(allow_http=True)

    error = failure(http, HttpRequest("GET", f"http://127.0.0.1:{port}/"))

    assert error.kind == "connect"


def test_connection_refused():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]

    error = failure(Http(), HttpRequest("GET", f"https://127.0.0.1:{port}/"))

    assert error.kind == "connect"
    assert "refused" in error.message


def test_dns_failure(monkeypatch):
    def no_such_name(*args: object, **kw: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)

    error = failure(Http(), HttpRequest("GET", "https://ca.example.invalid/"))

    assert error.kind == "dns"
    assert "ca.example.invalid" in error.message


def test_invalid_root_der_is_a_tls_error(tls_server):
    request = HttpRequest("GET", tls_server.url("/ok"), tls=TlsConfig([b"not der"]))

    assert failure(Http(), request).kind == "tls"
