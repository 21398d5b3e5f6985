"""Checks shared by the interop tests of every runner (our host, the wasmtime
CLI, Node): the main job, and what a certificate file must hold."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def bootstrap(cli, server) -> None:
    result = cli(
        "ca",
        "bootstrap",
        "--ca-url",
        server.ca_url,
        "--fingerprint",
        server.pki.root_fingerprint,
    )
    assert result.code == 0, result.stderr


def copy_password(cli, server, name: str = "pass.txt") -> str:
    """The provisioner's password file, copied where file arguments are read."""
    shutil.copy(server.pki.provisioner_password_file, cli.cwd / name)
    return name


def certificate(cli, server, subject: str, crt: str, key: str, *flags: str):
    """`ca certificate` with the provisioner and its password file (copied)."""
    password = copy_password(cli, server)
    return cli(
        "ca",
        "certificate",
        subject,
        crt,
        key,
        "--provisioner",
        server.pki.provisioner_name,
        "--password-file",
        password,
        *flags,
    )


def load_chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def load_key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), None)


def openssl_verify(root: Path, chain_file: Path) -> None:
    certs = load_chain(chain_file)
    leaf = chain_file.with_suffix(".leaf.pem")
    leaf.write_bytes(certs[0].public_bytes(serialization.Encoding.PEM))
    proc = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(root),
            "-untrusted",
            str(chain_file),
            str(leaf),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith(": OK")


def sans(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return [str(name.value) for name in ext.value]


def run_main_job(cli, ca) -> None:
    """bootstrap -> health -> token -> certificate -> inspect -> renew x2."""
    pki = ca.pki
    result = cli(
        "ca",
        "bootstrap",
        "--ca-url",
        ca.ca_url,
        "--fingerprint",
        pki.root_fingerprint.upper(),
    )
    assert result.code == 0, result.stderr
    assert "certs/root_ca.crt" in result.stderr
    saved = x509.load_pem_x509_certificate(
        (cli.steppath / "certs" / "root_ca.crt").read_bytes()
    )
    assert saved == x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    defaults = json.loads((cli.steppath / "config" / "defaults.json").read_text())
    assert defaults["ca-url"] == ca.ca_url
    assert defaults["fingerprint"] == pki.root_fingerprint

    result = cli("ca", "health")
    assert (result.code, result.stdout.strip()) == (0, "ok"), result.stderr

    password = copy_password(cli, ca)
    result = cli(
        "ca",
        "token",
        "web.internal",
        "--san",
        "web.internal",
        "--san",
        "127.0.0.1",
        "--provisioner",
        pki.provisioner_name,
        "--password-file",
        password,
    )
    assert result.code == 0, result.stderr
    token = result.stdout.strip()
    assert jwt.get_unverified_header(token)["kid"] == pki.kid
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == ca.ca_url + "/1.0/sign"
    assert claims["iss"] == pki.provisioner_name
    assert claims["sans"] == ["web.internal", "127.0.0.1"]
    assert claims["sha"] == pki.root_fingerprint

    result = cli(
        "ca", "certificate", "web.internal", "web.crt", "web.key", "--token", token
    )
    assert result.code == 0, result.stderr
    crt, key_file = cli.cwd / "web.crt", cli.cwd / "web.key"
    chain = load_chain(crt)
    assert len(chain) == 2
    assert chain[1] == x509.load_pem_x509_certificate(
        pki.intermediate_cert.read_bytes()
    )
    assert chain[0].subject.rfc4514_string() == "CN=web.internal"
    assert sans(chain[0]) == ["web.internal", "127.0.0.1"]
    key = load_key(key_file)
    assert key.public_key() == chain[0].public_key()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in cli.cwd.iterdir() if p.name.endswith(".tmp")] == []
    openssl_verify(pki.root_cert, crt)

    result = cli("certificate", "inspect", "web.crt")
    assert result.code == 0, result.stderr
    assert f"Serial Number: {chain[0].serial_number}" in result.stdout
    assert "DNS:web.internal" in result.stdout
    assert pki.provisioner_name in result.stdout

    for flags in ([], ["--mtls=false"]):
        before = load_chain(crt)[0]
        result = cli("ca", "renew", "web.crt", "web.key", "--force", *flags)
        assert result.code == 0, result.stderr
        after = load_chain(crt)[0]
        assert after.serial_number != before.serial_number
        assert after.not_valid_after_utc >= before.not_valid_after_utc
        assert after.public_key() == key.public_key()
        assert sans(after) == ["web.internal", "127.0.0.1"]
        openssl_verify(pki.root_cert, crt)
