"""The main job through the component, against the real step-ca.

bootstrap -> token -> certificate -> inspect -> renew (mTLS and token),
each result checked with `cryptography`, `pyjwt` and `openssl`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

pytestmark = pytest.mark.interop


def _bootstrap(stepwasm, server) -> None:
    result = stepwasm(
        "ca",
        "bootstrap",
        "--ca-url",
        server.ca_url,
        "--fingerprint",
        server.pki.root_fingerprint,
    )
    assert result.code == 0, result.stderr


def _password(stepwasm, server, name: str = "pass.txt") -> str:
    shutil.copy(server.pki.provisioner_password_file, stepwasm.cwd / name)
    return name


def _chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def _key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), None)


def _openssl_verify(root: Path, chain_file: Path) -> None:
    certs = _chain(chain_file)
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


def _sans(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return [str(name.value) for name in ext.value]


def test_the_main_job(stepwasm, ca):
    pki = ca.pki
    result = stepwasm(
        "ca",
        "bootstrap",
        "--ca-url",
        ca.ca_url,
        "--fingerprint",
        pki.root_fingerprint.upper(),
    )
    assert result.code == 0, result.stderr
    saved = stepwasm.steppath / "certs" / "root_ca.crt"
    assert "certs/root_ca.crt" in result.stderr
    assert saved.read_bytes() == pki.root_cert.read_bytes() or (
        x509.load_pem_x509_certificate(saved.read_bytes())
        == x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    )
    defaults = json.loads((stepwasm.steppath / "config" / "defaults.json").read_text())
    assert defaults["ca-url"] == ca.ca_url
    assert defaults["fingerprint"] == pki.root_fingerprint

    assert stepwasm("ca", "health").stdout.strip() == "ok"

    password = _password(stepwasm, ca)
    result = stepwasm(
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

    result = stepwasm(
        "ca", "certificate", "web.internal", "web.crt", "web.key", "--token", token
    )
    assert result.code == 0, result.stderr
    crt, key_file = stepwasm.cwd / "web.crt", stepwasm.cwd / "web.key"
    chain = _chain(crt)
    assert len(chain) == 2
    assert chain[1] == x509.load_pem_x509_certificate(
        pki.intermediate_cert.read_bytes()
    )
    assert chain[0].subject.rfc4514_string() == "CN=web.internal"
    assert _sans(chain[0]) == ["web.internal", "127.0.0.1"]
    key = _key(key_file)
    assert key.public_key() == chain[0].public_key()
    assert key_file.stat().st_mode & 0o777 == 0o600
    _openssl_verify(pki.root_cert, crt)

    result = stepwasm("certificate", "inspect", "web.crt")
    assert result.code == 0, result.stderr
    assert f"Serial Number: {chain[0].serial_number}" in result.stdout
    assert "DNS:web.internal" in result.stdout
    assert "Admin JWK" in result.stdout

    for flags in ([], ["--mtls=false"]):
        before = _chain(crt)[0]
        result = stepwasm("ca", "renew", "web.crt", "web.key", *flags)
        assert result.code == 0, result.stderr
        after = _chain(crt)[0]
        assert after.serial_number != before.serial_number
        assert after.not_valid_after_utc >= before.not_valid_after_utc
        assert after.public_key() == key.public_key()
        assert _sans(after) == ["web.internal", "127.0.0.1"]
        _openssl_verify(pki.root_cert, crt)


def test_certificate_with_the_provisioner_password(stepwasm, ca):
    _bootstrap(stepwasm, ca)
    password = _password(stepwasm, ca)
    result = stepwasm(
        "ca",
        "certificate",
        "api.internal",
        "api.crt",
        "api.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        password,
        "--not-after",
        "1h",
    )
    assert result.code == 0, result.stderr
    leaf = _chain(stepwasm.cwd / "api.crt")[0]
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime.total_seconds() == 61 * 60
    assert _sans(leaf) == ["api.internal"]


@pytest.mark.parametrize(
    ("pki_options", "key_flags", "key_check"),
    [
        (
            {
                "root_key": "RSA",
                "intermediate_key": "RSA",
                "provisioner_key": "OKP-Ed25519",
            },
            ["--kty", "RSA", "--size", "2048"],
            (rsa.RSAPrivateKey, 2048),
        ),
        (
            {"provisioner_key": "RSA-2048", "extra_provisioners": 25},
            ["--kty", "OKP", "--curve", "Ed25519"],
            (ed25519.Ed25519PrivateKey, None),
        ),
        (
            {
                "root_key": "EC-P384",
                "intermediate_key": "EC-P384",
                "provisioner_key": "EC-P384",
            },
            ["--kty", "EC", "--curve", "P-384"],
            (ec.EllipticCurvePrivateKey, 384),
        ),
        ({"provisioner_key": "EC-P521"}, [], (ec.EllipticCurvePrivateKey, 256)),
    ],
    ids=["rsa-ca-ed25519-prov", "rsa-prov-page-2", "p384", "p521-prov"],
)
def test_other_cas_and_keys(stepwasm, make_ca, pki_options, key_flags, key_check):
    server = make_ca(**pki_options)
    _bootstrap(stepwasm, server)
    password = _password(stepwasm, server)
    result = stepwasm(
        "ca",
        "certificate",
        "k.internal",
        "k.crt",
        "k.key",
        "--provisioner",
        "Admin JWK",
        "--password-file",
        password,
        *key_flags,
    )
    assert result.code == 0, result.stderr
    chain = _chain(stepwasm.cwd / "k.crt")
    key = _key(stepwasm.cwd / "k.key")
    kind, size = key_check
    assert isinstance(key, kind)
    if size:
        assert key.key_size == size
    assert key.public_key() == chain[0].public_key()
    _openssl_verify(server.pki.root_cert, stepwasm.cwd / "k.crt")

    result = stepwasm("ca", "renew", "k.crt", "k.key", "--mtls=false")
    assert result.code == 0, result.stderr
    renewed = _chain(stepwasm.cwd / "k.crt")[0]
    assert renewed.serial_number != chain[0].serial_number
    assert renewed.public_key() == key.public_key()


def test_provisioner_list_follows_every_page(stepwasm, make_ca):
    server = make_ca(extra_provisioners=25)
    _bootstrap(stepwasm, server)
    result = stepwasm("ca", "provisioner", "list")
    assert result.code == 0, result.stderr
    names = [p["name"] for p in json.loads(result.stdout)]
    assert len(names) == 26
    assert names[-1] == "Admin JWK"


def test_ca_root_and_fingerprint(stepwasm, ca):
    _bootstrap(stepwasm, ca)
    result = stepwasm("ca", "root", "root.crt")
    assert result.code == 0, result.stderr
    root = x509.load_pem_x509_certificate((stepwasm.cwd / "root.crt").read_bytes())
    assert root.fingerprint(hashes.SHA256()).hex() == ca.pki.root_fingerprint
    result = stepwasm("certificate", "fingerprint", "root.crt")
    assert result.stdout.strip() == ca.pki.root_fingerprint


def test_revoke_by_serial_with_the_provisioner(stepwasm, ca):
    _bootstrap(stepwasm, ca)
    password = _password(stepwasm, ca)
    assert (
        stepwasm(
            "ca",
            "certificate",
            "r.internal",
            "r.crt",
            "r.key",
            "--provisioner",
            "Admin JWK",
            "--password-file",
            password,
        ).code
        == 0
    )
    serial = str(_chain(stepwasm.cwd / "r.crt")[0].serial_number)
    result = stepwasm(
        "ca",
        "revoke",
        serial,
        "--provisioner",
        "Admin JWK",
        "--password-file",
        password,
    )
    assert result.code == 0, result.stderr
    assert f"Serial Number {serial} has been revoked" in result.stderr
    again = stepwasm(
        "ca",
        "revoke",
        serial,
        "--provisioner",
        "Admin JWK",
        "--password-file",
        password,
    )
    assert "400" in again.error_line
