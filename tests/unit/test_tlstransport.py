"""The in-sandbox HTTPS transport (tlslite-ng) in CPython, against loopback servers.

The same module runs inside dist/stepwasm-cli.wasm; tests/interop/test_wasi_cli.py
runs it there against step-ca and these servers.
"""

from __future__ import annotations

import datetime
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from stepwasm_core.crypto import keys
from stepwasm_core.errors import TransportError
from stepwasm_core.ports import Request, TlsConfig
from stepwasm_core.tlstransport import TlsTransport

from ..tls_server import HOUR, NOW, SilentServer, TlsServer, make_pki

pytestmark = pytest.mark.unit


@pytest.fixture
def servers() -> Iterator[list]:
    started: list = []
    yield started
    for server in started:
        server.close()


def _serve(servers: list, server):
    servers.append(server)
    return server


def _get(url: str, roots: tuple[bytes, ...] = (), **kwargs) -> object:
    tls = kwargs.pop("tls", None) or TlsConfig(roots=roots)
    return TlsTransport(**kwargs).send(Request("GET", url, tls=tls, timeout_ms=10_000))


def test_trusts_exactly_the_given_root(tmp_path: Path, servers):
    pki = make_pki(tmp_path / "pki")
    server = _serve(servers, TlsServer(pki))
    response = _get(server.url + "/health", (pki.root_der,))
    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok"}
    assert len(response.peer_chain) == 2
    assert response.header("content-type") == "application/json"


def test_refuses_a_server_of_another_root(tmp_path: Path, servers):
    pki = make_pki(tmp_path / "pki")
    other = make_pki(tmp_path / "other")
    server = _serve(servers, TlsServer(pki))
    with pytest.raises(TransportError) as caught:
        _get(server.url + "/health", (other.root_der,))
    message = str(caught.value)
    assert caught.value.cause == "tls"
    assert message.startswith(f"cannot reach {server.url}/health: tls: ")
    assert "not trusted" in message and "Test Intermediate CA" in message


def test_refuses_a_wrong_host_name(tmp_path: Path, servers):
    pki = make_pki(tmp_path / "pki", sans=("other.internal",))
    server = _serve(servers, TlsServer(pki))
    with pytest.raises(TransportError) as caught:
        _get(server.url + "/health", (pki.root_der,))
    assert (
        "IP address '127.0.0.1' not in the certificate's SANs "
        "(DNS:other.internal)" in str(caught.value)
    )


def test_refuses_an_expired_server_certificate(tmp_path: Path, servers):
    pki = make_pki(tmp_path / "pki", not_before=NOW - 3 * HOUR, not_after=NOW - HOUR)
    server = _serve(servers, TlsServer(pki))
    with pytest.raises(TransportError) as caught:
        _get(server.url + "/health", (pki.root_der,))
    expired = (NOW - HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"certificate 'CN=test server' expired at {expired}" in str(caught.value)


def test_no_roots_is_refused_unless_unverified(tmp_path: Path, servers):
    pki = make_pki(tmp_path / "pki", sans=("other.internal",))
    server = _serve(servers, TlsServer(pki))
    with pytest.raises(TransportError, match="no root to trust"):
        _get(server.url + "/health")
    # Bootstrap: no check here; the chain comes back for the core to check.
    response = _get(server.url + "/health", tls=TlsConfig(verify=False))
    assert response.status == 200
    assert response.peer_chain[1] == pki.intermediate.public_bytes(
        serialization.Encoding.DER
    )


def test_chunked_body_and_error_status(tmp_path: Path, servers):
    pki = make_pki(tmp_path / "pki")
    server = _serve(servers, TlsServer(pki))
    response = _get(server.url + "/chunked", (pki.root_der,))
    assert json.loads(response.body) == {"status": "chunked"}
    missing = _get(server.url + "/nowhere", (pki.root_der,))
    assert missing.status == 404
    assert json.loads(missing.body)["message"] == "not found"


def test_post_body(tmp_path: Path, servers):
    pki = make_pki(tmp_path / "pki")
    server = _serve(servers, TlsServer(pki))
    request = Request(
        "POST",
        server.url + "/sign",
        body=b'{"a":1}',
        headers=(("Content-Type", "application/json"),),
        tls=TlsConfig(roots=(pki.root_der,)),
    )
    response = TlsTransport().send(request)
    assert response.status == 201
    assert json.loads(response.body) == {"got": '{"a":1}'}


def test_response_size_cap(tmp_path: Path, servers):
    pki = make_pki(tmp_path / "pki")
    server = _serve(servers, TlsServer(pki, big_size=5000))
    with pytest.raises(TransportError) as caught:
        _get(server.url + "/big", (pki.root_der,), max_response_bytes=4096)
    assert caught.value.cause == "toolarge"
    assert str(caught.value).endswith(": the answer is too large")
    assert len(_get(server.url + "/big", (pki.root_der,)).body) == 5000


def test_timeout(servers):
    server = _serve(servers, SilentServer())
    request = Request(
        "GET", server.url + "/health", tls=TlsConfig(verify=False), timeout_ms=300
    )
    start = datetime.datetime.now()
    with pytest.raises(TransportError) as caught:
        TlsTransport().send(request)
    assert caught.value.cause == "timeout"
    assert str(caught.value) == f"cannot reach {server.url}/health: timed out"
    assert (datetime.datetime.now() - start).total_seconds() < 5


def test_connection_refused():
    # A port bound but never listened on refuses connections.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{unused.getsockname()[1]}"
        with pytest.raises(TransportError) as caught:
            _get(url + "/health", tls=TlsConfig(verify=False))
    assert caught.value.cause == "connect"
    assert str(caught.value).startswith(f"cannot reach {url}/health: connect: ")


def test_only_https(tmp_path: Path):
    with pytest.raises(TransportError) as caught:
        _get("http://127.0.0.1:1/health", tls=TlsConfig(verify=False))
    assert caught.value.cause == "denied"


@pytest.mark.parametrize(
    "kty,curve,size",
    [
        ("EC", "P-256", 0),
        ("EC", "P-384", 0),
        ("OKP", "Ed25519", 0),
        ("RSA", "", 2048),
    ],
    ids=["p256", "p384", "ed25519", "rsa"],
)
def test_client_certificate(tmp_path: Path, servers, kty, curve, size):
    pki = make_pki(tmp_path / "pki")
    server = _serve(servers, TlsServer(pki, client_ca=pki))
    key = keys.generate_key(kty, curve, size or 2048)
    public = serialization.load_der_private_key(key.to_pkcs8_der(), None).public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client")]))
        .issuer_name(pki.intermediate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - HOUR)
        .not_valid_after(NOW + HOUR)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .sign(pki.intermediate_key, hashes.SHA256())
    )
    der = serialization.Encoding.DER
    tls = TlsConfig(
        roots=(pki.root_der,),
        client_chain=(cert.public_bytes(der), pki.intermediate.public_bytes(der)),
        client_key=key.to_pkcs8_der(),
    )
    response = _get(server.url + "/client", tls=tls)
    assert json.loads(response.body) == {"subject": "CN=client"}
    anonymous = _get(server.url + "/client", (pki.root_der,))
    assert json.loads(anonymous.body) == {"subject": ""}
