"""`certificate inspect https://127.0.0.1:PORT` inside the component, against
a TLS server of our own on loopback that presents a chain made from the
inspection vectors' root."""

from __future__ import annotations

import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.unit.x509.vectors import certificate, ec_key, name, pem

pytestmark = pytest.mark.component


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.send_response(204)
        self.end_headers()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("remote")
    root_key = ec_key(ec.SECP256R1(), "remote-root")
    root_name = name((NameOID.COMMON_NAME, "Remote Root"))
    root = certificate(root_name, root_key, serial=1, ca=True)
    inter_key = ec_key(ec.SECP256R1(), "remote-inter")
    inter_name = name((NameOID.COMMON_NAME, "Remote Intermediate"))
    inter = certificate(
        inter_name, inter_key, issuer=(root_name, root_key), serial=2, ca=True
    )
    leaf_key = ec_key(ec.SECP256R1(), "remote-leaf")
    leaf = certificate(
        name((NameOID.COMMON_NAME, "loopback")),
        leaf_key,
        issuer=(inter_name, inter_key),
        serial=3,
        extensions=[
            (
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                False,
            )
        ],
    )
    (directory / "chain.pem").write_bytes(pem(leaf, inter))
    (directory / "key.pem").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (directory / "root.pem").write_bytes(pem(root))
    other = certificate(
        name((NameOID.COMMON_NAME, "Other Root")),
        ec_key(ec.SECP256R1(), "other-root"),
        ca=True,
    )
    (directory / "other-root.pem").write_bytes(pem(other))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "chain.pem", directory / "key.pem")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", directory
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _copy(stepwasm, directory: Path, *files: str) -> None:
    for file in files:
        (stepwasm.cwd / file).write_bytes((directory / file).read_bytes())


def test_inspect_remote_verified_against_roots(stepwasm, server) -> None:
    url, directory = server
    _copy(stepwasm, directory, "root.pem")
    short = stepwasm("certificate", "inspect", url, "--roots", "root.pem", "--short")
    assert short.code == 0, short.stderr
    assert short.stdout.startswith(
        "X.509v3 TLS Certificate (ECDSA P-256) [Serial: 3]\n"
        "  Subject:     loopback\n"
        "               localhost\n"
        "               127.0.0.1\n"
        "  Issuer:      Remote Intermediate\n"
    )
    bundle = stepwasm(
        "certificate",
        "inspect",
        url,
        "--roots",
        "root.pem",
        "--bundle",
        "--format",
        "pem",
    )
    assert bundle.stdout == (directory / "chain.pem").read_text()


def test_inspect_remote_refuses_other_roots(stepwasm, server) -> None:
    url, directory = server
    _copy(stepwasm, directory, "other-root.pem")
    result = stepwasm("certificate", "inspect", url, "--roots", "other-root.pem")
    assert result.error_line == (
        f"stepwasm: {url}: the server's chain does not verify: no path to a trusted "
        "root: issuer 'CN=Remote Root' not found"
    )


def test_inspect_remote_insecure_and_default_roots(stepwasm, server) -> None:
    url, _ = server
    insecure = stepwasm("certificate", "inspect", url, "--insecure", "--format", "json")
    assert insecure.code == 0, insecure.stderr
    assert '"subject_dn": "CN=loopback"' in insecure.stdout
    # Without --roots the host verifies with its default roots: ours is not one.
    default = stepwasm("certificate", "inspect", url)
    assert default.code == 1
    assert default.error_line.startswith(f"stepwasm: cannot reach {url}")
    assert "certificate verify failed" in default.error_line
