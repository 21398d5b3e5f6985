"""`stepwasm web`'s gateway: it forwards the page's requests to its one CA and
refuses everything else (other hosts and paths, foreign Host and Origin)."""

from __future__ import annotations

import base64
import http.client
import socket
import subprocess

from cryptography import x509

from .conftest import STEPWASM

PAGE = {"X-Stepwasm-Gateway": "1"}


def _request(web, method, target, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        headers = {"Host": f"127.0.0.1:{web.port}", **(headers or {})}
        for name, value in headers.items():
            if value is not None:
                conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_forwards_to_the_ca_with_the_peer_chain(web):
    status, headers, body = _request(web, "GET", "/ca/health", PAGE)
    assert (status, body) == (200, b'{"status":"ok"}\n')
    chain = [
        x509.load_der_x509_certificate(base64.b64decode(part))
        for part in headers["X-Stepwasm-Peer-Chain"].split(",")
    ]
    intermediate = x509.load_pem_x509_certificate(
        web.ca.pki.intermediate_cert.read_bytes()
    )
    assert chain[0].issuer == intermediate.subject
    assert chain[1] == intermediate

    status, _, body = _request(
        web, "GET", f"/ca/root/{web.ca.pki.root_fingerprint}", PAGE
    )
    assert status == 200
    assert b"BEGIN CERTIFICATE" in body


def test_serves_the_page_with_a_strict_policy(web):
    status, headers, _ = _request(web, "GET", "/", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy
    assert "connect-src 'self'" in policy
    assert headers["X-Frame-Options"] == "DENY"

    status, headers, _ = _request(
        web, "GET", "/assets/main.js", {"Accept-Encoding": "br, gzip"}
    )
    assert (status, headers["Content-Encoding"]) == (200, "br")


def test_refuses_other_hosts_and_paths(web):
    # An absolute-form target naming another host: no proxying.
    status, _, body = _request(web, "GET", "http://example.org/", PAGE)
    assert status == 400
    status, _, _ = _request(web, "CONNECT", "example.org:443", PAGE)
    assert status in (400, 501)
    for target in ("/etc/passwd", "/assets/../web.py", "/ca", "/other/health"):
        status, _, _ = _request(web, "GET", target, PAGE)
        assert status in (400, 404), target
    for target in ("/ca/../health", "/ca//example.org/health", "/ca/%2e%2e/health"):
        status, _, body = _request(web, "GET", target, PAGE)
        assert status == 400, target
        assert body == b"stepwasm web: invalid path\n"
    # Only GET and POST go to the CA.
    status, _, _ = _request(web, "DELETE", "/ca/health", PAGE)
    assert status == 405


def test_refuses_a_foreign_host_header(web):
    for host in (
        "evil.example",
        f"evil.example:{web.port}",
        f"127.0.0.1:{web.port + 1}",
    ):
        status, _, body = _request(web, "GET", "/ca/health", {**PAGE, "Host": host})
        assert (status, body) == (421, b"stepwasm web: unknown Host\n"), host
        status, _, _ = _request(web, "GET", "/", {"Host": host})
        assert status == 421
    status, _, _ = _request(web, "GET", "/", {"Host": None})
    assert status == 421


def _raw(web, head: bytes) -> bytes:
    """Send `head` as it is and return the whole answer."""
    with socket.create_connection(("127.0.0.1", web.port), timeout=30) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_refuses_doubled_host_and_origin_headers(web):
    own = f"127.0.0.1:{web.port}"
    for name, values in (
        ("Host", (own, "evil.example")),
        ("Host", (own, own)),
        ("Origin", (f"http://{own}", "http://evil.example")),
    ):
        lines = [b"GET /ca/health HTTP/1.1", b"X-Stepwasm-Gateway: 1"]
        if name != "Host":
            lines.append(f"Host: {own}".encode())
        lines += [f"{name}: {value}".encode() for value in values]
        lines.append(b"Connection: close")
        answer = _raw(web, b"\r\n".join(lines) + b"\r\n\r\n")
        assert answer.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 ")), answer[:80]
        assert answer.endswith(f"stepwasm web: more than one {name}\n".encode())


def test_answers_414_to_an_overlong_request_line(web):
    target = b"/ca/" + b"a" * 70_000
    answer = _raw(web, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.split(b"\r\n", 1)[0].split(b" ", 2)[1] == b"414"


def test_refuses_a_foreign_origin(web):
    for origin in ("http://evil.example", f"http://evil.example:{web.port}", "null"):
        status, headers, body = _request(
            web, "POST", "/ca/health", {**PAGE, "Origin": origin}, b"{}"
        )
        assert (status, body) == (403, b"stepwasm web: foreign Origin\n"), origin
        assert "Access-Control-Allow-Origin" not in headers
    status, _, _ = _request(
        web, "GET", "/ca/health", {**PAGE, "Sec-Fetch-Site": "cross-site"}
    )
    assert status == 403
    # Without the page's header (a form or a simple request from another site).
    status, _, _ = _request(web, "GET", "/ca/health")
    assert status == 403
    # No CORS preflight is ever granted.
    status, headers, _ = _request(
        web,
        "OPTIONS",
        "/ca/sign",
        {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers
    # The page's own origin is fine.
    status, _, _ = _request(
        web, "GET", "/ca/health", {**PAGE, "Origin": f"http://127.0.0.1:{web.port}"}
    )
    assert status == 200


def test_a_wrong_fingerprint_stops_it_in_one_line(ca):
    result = subprocess.run(
        [
            str(STEPWASM),
            "web",
            "--ca-url",
            ca.ca_url,
            "--fingerprint",
            "ab" * 32,
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    # step-ca knows no root by that fingerprint.
    assert result.stderr == (
        f"stepwasm web: the CA has no root with fingerprint {'ab' * 32} "
        "(it answered 404)\n"
    )


def test_listens_on_loopback_only(ca):
    result = subprocess.run(
        [
            str(STEPWASM),
            "web",
            "--ca-url",
            ca.ca_url,
            "--root",
            str(ca.pki.root_cert),
            "--host",
            "0.0.0.0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid choice: '0.0.0.0'" in result.stderr
