"""The fallback from sockets to the runtime's HTTP client (FallbackTransport),
and what the flows do when the runtime did TLS itself (`Response.runtime_tls`)."""

from __future__ import annotations

import dataclasses
import io

import jwt
import pytest
from cryptography import x509
from stepwasm_core import cli
from stepwasm_core.errors import TransportError
from stepwasm_core.fallback import NOTICE, FallbackTransport
from stepwasm_core.ports import FILES, PROFILE, Request, Response

from .fakes import PASSWORD, FakeCA, FakeStorage

pytestmark = pytest.mark.unit


class Recorder:
    """A transport that answers 200 and remembers what it was sent."""

    def __init__(self, name: str, *, client_certificates: bool, fail: str = "") -> None:
        self.name = name
        self.client_certificates = client_certificates
        self.fail = fail
        self.sent: list[str] = []

    def supports_client_certificates(self) -> bool:
        return self.client_certificates

    def send(self, request: Request) -> Response:
        self.sent.append(request.url)
        if self.fail:
            raise TransportError(f"cannot reach {request.url}", cause=self.fail)
        return Response(status=200, body=self.name.encode())


def _fallback(*, lent: bool, fail: str = ""):
    sockets = Recorder("sockets", client_certificates=True, fail=fail)
    http = Recorder("http", client_certificates=False)
    notices: list[str] = []
    transport = FallbackTransport(sockets, http, lambda: lent, notices.append)
    return transport, sockets, http, notices


def test_sockets_are_used_while_the_runtime_lends_them():
    transport, sockets, http, notices = _fallback(lent=True)
    assert transport.supports_client_certificates() is True
    assert transport.send(Request("GET", "https://ca.test/health")).body == b"sockets"
    assert (sockets.sent, http.sent, notices) == (["https://ca.test/health"], [], [])


def test_no_sockets_switches_once_and_says_so():
    transport, sockets, http, notices = _fallback(lent=False)
    assert transport.supports_client_certificates() is False
    for path in ("/health", "/roots"):
        assert transport.send(Request("GET", "https://ca.test" + path)).body == b"http"
    assert sockets.sent == []
    assert http.sent == ["https://ca.test/health", "https://ca.test/roots"]
    assert notices == [NOTICE]
    assert "trust store checks the CA instead of the bootstrapped root" in NOTICE


def test_a_connection_the_runtime_refuses_switches_too():
    transport, sockets, http, notices = _fallback(lent=True, fail="no-network")
    assert transport.send(Request("GET", "https://ca.test/a")).body == b"http"
    assert transport.send(Request("GET", "https://ca.test/b")).body == b"http"
    assert sockets.sent == ["https://ca.test/a"]
    assert http.sent == ["https://ca.test/a", "https://ca.test/b"]
    assert notices == [NOTICE]


def test_other_failures_do_not_switch():
    transport, _sockets, http, notices = _fallback(lent=True, fail="tls")
    with pytest.raises(TransportError) as info:
        transport.send(Request("GET", "https://ca.test/health"))
    assert info.value.cause == "tls"
    assert (http.sent, notices) == ([], [])


# -- the flows when the runtime does TLS ------------------------------------------


class RuntimeTlsCA(FakeCA):
    """The fake CA as seen through wasi:http: no peer chain, no client cert."""

    def supports_client_certificates(self) -> bool:
        return False

    def send(self, request: Request) -> Response:
        response = super().send(request)
        return dataclasses.replace(response, peer_chain=(), runtime_tls=True)


def _run(ca, storage, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = cli.Context(
        transport=ca, storage=storage, stdout=out, stderr=err, steppath="/step"
    )
    return cli.main(ctx, list(argv)), out.getvalue(), err.getvalue()


@pytest.fixture
def storage() -> FakeStorage:
    s = FakeStorage()
    s.files[(FILES, "pass.txt")] = PASSWORD + b"\n"
    return s


def test_bootstrap_through_the_runtime_pins_the_root_by_fingerprint(storage):
    ca = RuntimeTlsCA()
    code, _, err = _run(
        ca,
        storage,
        "ca",
        "bootstrap",
        "--ca-url",
        ca.url,
        "--fingerprint",
        ca.fingerprint,
    )
    assert code == 0, err
    saved = x509.load_pem_x509_certificate(
        storage.files[(PROFILE, "certs/root_ca.crt")]
    )
    assert saved == ca.root


def test_bootstrap_still_wants_the_chain_from_a_transport_that_hides_it(storage):
    ca = FakeCA()
    ca.peer_chain = ()
    code, _, err = _run(
        ca,
        storage,
        "ca",
        "bootstrap",
        "--ca-url",
        ca.url,
        "--fingerprint",
        ca.fingerprint,
    )
    assert code == 1
    assert "did not report the CA's TLS certificate chain" in err
    assert storage.list_files(PROFILE) == []


def test_renew_through_the_runtime_takes_the_token_path(storage):
    ca = RuntimeTlsCA()
    steps = [
        ["ca", "bootstrap", "--ca-url", ca.url, "--fingerprint", ca.fingerprint],
        ["ca", "certificate", "w.test", "w.crt", "w.key"]
        + ["--provisioner", "Admin JWK", "--password-file", "pass.txt"],
        ["ca", "renew", "w.crt", "w.key", "--force"],
    ]
    for argv in steps:
        code, _, err = _run(ca, storage, *argv)
        assert code == 0, err
    request = ca.requests[-1]
    assert request.url == ca.url + "/1.0/renew"
    assert request.tls.client_chain == ()
    token = dict(request.headers)["Authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token)["x5cInsecure"]
    assert ca.issued[-1].serial_number != ca.issued[-2].serial_number


def test_inspecting_a_server_needs_its_chain(storage):
    code, _, err = _run(RuntimeTlsCA(), storage, "certificate", "inspect", FakeCA.url)
    assert code == 1
    assert err.strip() == (
        f"stepwasm: {FakeCA.url}: the runtime's HTTP client (wasi:http) does not "
        "show the server's certificates; this needs sockets "
        "(wasmtime: -S inherit-network)"
    )
