"""Fixtures for the host tests: a throwaway PKI, loopback TLS servers, a component.

The component tests run against `$STEPWASM_COMPONENT` when it is set, else
`dist/stepwasm.wasm` (./build.sh makes it). Wiring tests use a toy component
(toy/app.py) that the session builds with componentize-py.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
TOY = Path(__file__).resolve().parent / "toy"


@pytest.fixture(scope="session")
def host_component() -> Path:
    """The component file the runtime tests load."""
    path = Path(os.environ.get("STEPWASM_COMPONENT", REPO / "dist" / "stepwasm.wasm"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: run ./build.sh")
    return path


@pytest.fixture(scope="session")
def proto_component(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy component (toy/app.py), built for this session."""
    wit = REPO / "build" / "wit"
    if not (wit / "deps").is_dir():
        pytest.fail(f"{wit} is missing: run ./build.sh")
    tool = Path(sys.prefix) / "bin" / "componentize-py"
    out = tmp_path_factory.mktemp("toy") / "toy.wasm"
    subprocess.run(
        [
            str(tool),
            "-q",
            "-d",
            str(wit),
            "-w",
            "embedded",
            "componentize",
            "-p",
            str(TOY),
            "app",
            "-o",
            str(out),
        ],
        check=True,
    )
    return out


@pytest.fixture(scope="session")
def compile_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One compile cache for the session, so each component compiles once."""
    return tmp_path_factory.mktemp("xdg-cache")


# A throwaway PKI: root -> intermediate -> server leaf; a client CA and leaf.


@dataclass(frozen=True)
class Cert:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def key_der(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _issue(
    name: str,
    issuer: Cert | None = None,
    *,
    ca: bool = False,
    sans: list[x509.GeneralName] | None = None,
    client: bool = False,
) -> Cert:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        builder = builder.add_extension(usage, critical=True)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        builder = builder.add_extension(ski, critical=False)
    else:
        eku = (
            ExtendedKeyUsageOID.CLIENT_AUTH
            if client
            else ExtendedKeyUsageOID.SERVER_AUTH
        )
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
    if issuer is not None:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.key.public_key()
        )
        builder = builder.add_extension(aki, critical=False)
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(sans), critical=False
        )
    signer = issuer.key if issuer else key
    return Cert(key, builder.sign(signer, hashes.SHA256()))


@dataclass(frozen=True)
class Pki:
    root: Cert
    intermediate: Cert
    server: Cert
    other_root: Cert
    client_root: Cert
    client: Cert


@pytest.fixture(scope="session")
def pki() -> Pki:
    root = _issue("Test Root", ca=True)
    intermediate = _issue("Test Intermediate", root, ca=True)
    server = _issue(
        "127.0.0.1",
        intermediate,
        sans=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    client_root = _issue("Test Client Root", ca=True)
    client = _issue("client.test", client_root, client=True)
    return Pki(
        root, intermediate, server, _issue("Other Root", ca=True), client_root, client
    )


# Loopback HTTPS servers.


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/ok":
            self._reply(200, b"hello", {"X-Test": "a"})
        elif path == "/echo" or path.startswith("/echo?"):
            seen = {"path": path, "headers": dict(self.headers.items())}
            self._reply(200, json.dumps(seen).encode(), {"Set-Cookie": "a=1"})
        elif path == "/redirect":
            self._reply(302, b"", {"Location": "/ok"})
        elif path == "/big":
            self._reply(200, b"x" * 5000)
        elif path == "/big-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(5):
                self.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/slow":
            time.sleep(2)
            self._reply(200, b"late")
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "20")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b"z")
                self.wfile.flush()
                time.sleep(0.1)
        elif path == "/whoami":
            cert = self.connection.getpeercert()
            names = [value for rdn in cert.get("subject", ()) for _, value in rdn]
            self._reply(200, ",".join(names).encode())
        else:
            self._reply(404, b"not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self._reply(200, body[::-1])


class _TlsServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = context

    def finish_request(self, request: socket.socket, client_address: object) -> None:
        request.settimeout(5)
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(wrapped, client_address)

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@dataclass
class Server:
    port: int
    sent_chain: list[bytes]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"


def _serve(context: ssl.SSLContext, chain: list[bytes]) -> Iterator[Server]:
    server = _TlsServer(context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(server.server_address[1], chain)
    finally:
        server.shutdown()
        server.server_close()


def _server_context(pki: Pki, directory: Path) -> ssl.SSLContext:
    chain = directory / "server-chain.pem"
    chain.write_bytes(pki.server.pem + pki.intermediate.pem)
    key = directory / "server-key.pem"
    key.write_bytes(pki.server.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    return context


@pytest.fixture(scope="session")
def tls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """HTTPS on 127.0.0.1 presenting server leaf + intermediate."""
    context = _server_context(pki, tmp_path_factory.mktemp("tls"))
    yield from _serve(context, [pki.server.der, pki.intermediate.der])


@pytest.fixture(scope="session")
def mtls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """HTTPS on 127.0.0.1 that requires a client certificate."""
    directory = tmp_path_factory.mktemp("mtls")
    context = _server_context(pki, directory)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=pki.client_root.der)
    yield from _serve(context, [pki.server.der, pki.intermediate.der])
