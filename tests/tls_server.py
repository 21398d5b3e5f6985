"""Small HTTPS servers on loopback for the TLS checks of the in-sandbox transport.

`make_pki` makes a root, an intermediate and a server certificate with
`cryptography` (names and validity chosen by the test); `TlsServer` serves them
with Python's `ssl` on 127.0.0.1, optionally asking for a client certificate,
and answers a few paths: `/health`, `/chunked`, `/big`, `/client`.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _sans(names: tuple[str, ...]) -> list[x509.GeneralName]:
    result: list[x509.GeneralName] = []
    for name in names:
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(name))
    return result


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    sans: tuple[str, ...] = (),
    not_before: datetime.datetime = NOW - HOUR,
    not_after: datetime.datetime = NOW + 24 * HOUR,
    usage: x509.ObjectIdentifier = ExtendedKeyUsageOID.SERVER_AUTH,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), False)
        if sans:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(_sans(sans)), False
            )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    """A root, an intermediate and a leaf, as PEM files in `directory`."""

    directory: Path
    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    intermediate: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    chain_file: Path
    key_file: Path
    root_file: Path

    @property
    def root_der(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.DER)

    def client(self, subject: str, directory: Path) -> tuple[Path, Path]:
        """A client certificate (leaf + intermediate) and its key, as PEM files."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(
            subject,
            key,
            self.intermediate,
            self.intermediate_key,
            ca=False,
            sans=(subject,),
            usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        )
        chain, key_file = directory / f"{subject}.crt", directory / f"{subject}.key"
        chain.write_bytes(_pem(cert) + _pem(self.intermediate))
        key_file.write_bytes(_key_pem(key))
        return chain, key_file


def make_pki(
    directory: Path,
    *,
    sans: tuple[str, ...] = ("127.0.0.1",),
    not_before: datetime.datetime = NOW - HOUR,
    not_after: datetime.datetime = NOW + 24 * HOUR,
) -> Pki:
    """A fresh CA and a server certificate for `sans`, valid as asked."""
    directory.mkdir(parents=True, exist_ok=True)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(
        "Test Root CA",
        root_key,
        None,
        root_key,
        ca=True,
        not_before=NOW - 2 * HOUR,
        not_after=NOW + 48 * HOUR,
    )
    mid_key = ec.generate_private_key(ec.SECP256R1())
    mid = _certificate(
        "Test Intermediate CA",
        mid_key,
        root,
        root_key,
        ca=True,
        not_before=NOW - 2 * HOUR,
        not_after=NOW + 48 * HOUR,
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(
        "test server",
        leaf_key,
        mid,
        mid_key,
        ca=False,
        sans=sans,
        not_before=not_before,
        not_after=not_after,
    )
    chain_file = directory / "server.crt"
    chain_file.write_bytes(_pem(leaf) + _pem(mid))
    key_file = directory / "server.key"
    key_file.write_bytes(_key_pem(leaf_key))
    root_file = directory / "root.crt"
    root_file.write_bytes(_pem(root))
    return Pki(directory, root, root_key, mid, mid_key, chain_file, key_file, root_file)


class TlsServer:
    """HTTPS on 127.0.0.1 with the PKI's server certificate."""

    def __init__(
        self, pki: Pki, *, client_ca: Pki | None = None, big_size: int = 0
    ) -> None:
        body_big = b"x" * big_size

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def do_GET(self) -> None:
                if self.path == "/health":
                    self._send(200, b'{"status":"ok"}\n')
                elif self.path == "/big":
                    self._send(200, body_big)
                elif self.path.startswith("/deep/"):  # JSON nested 5000 deep
                    self._send(200, b"[" * 5000 + b"]" * 5000)
                elif self.path == "/client":
                    peer = self.connection.getpeercert(binary_form=True)
                    subject = ""
                    if peer:
                        cert = x509.load_der_x509_certificate(peer)
                        subject = cert.subject.rfc4514_string()
                    self._send(200, json.dumps({"subject": subject}).encode())
                elif self.path == "/chunked":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for part in (b'{"status":', b'"chunked"', b"}"):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\nX-Trailer: 1\r\n\r\n")
                    self.close_connection = True
                else:
                    self._send(404, b'{"status":404,"message":"not found"}')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                self._send(201, json.dumps({"got": data.decode()}).encode())

            def log_message(self, *args: Any) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.chain_file, pki.key_file)
        if client_ca is not None:
            context.verify_mode = ssl.CERT_OPTIONAL
            context.load_verify_locations(cadata=_pem(client_ca.root).decode())
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        try:  # wakes the accepting thread, which close() alone would not
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()
