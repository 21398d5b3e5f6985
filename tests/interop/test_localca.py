"""The localca tooling against the real step-ca, with independent clients only.

The client side here is plain ``urllib``, ``cryptography``, ``jwcrypto`` and
``pyjwt``, never stepwasm, so these tests check the tooling and the server.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwcrypto import jwa, jwe, jwk

import localca
from localca.pki import create_pki, jwk_thumbprint, load_pki
from localca.server import CAServer, runs_ca, start_ca

pytestmark = pytest.mark.interop


def call(
    server: CAServer, method: str, path: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """One JSON request to the CA over TLS verified with its root."""
    context = ssl.create_default_context(cafile=str(server.pki.root_cert))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.ca_url + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def provisioner_jwk(
    server: CAServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The named provisioner's private JWK, decrypted from ``/provisioners``."""
    provisioners = list_provisioners(server)
    entry = next(p for p in provisioners if p["name"] == server.pki.provisioner_name)
    monkeypatch.setattr(jwa, "default_max_pbkdf2_iterations", 100_000)
    password = jwk.JWK.from_password(server.pki.provisioner_password.decode())
    token = jwe.JWE()
    token.deserialize(entry["encryptedKey"], key=password)
    return json.loads(token.payload)


def list_provisioners(server: CAServer, limit: int | None = None) -> list[dict]:
    """Every provisioner, following ``nextCursor`` page after page."""
    found: list[dict] = []
    cursor = ""
    while True:
        query = f"?cursor={cursor}" + (f"&limit={limit}" if limit else "")
        status, page = call(server, "GET", "/provisioners" + query)
        assert status == 200
        found.extend(page["provisioners"])
        cursor = page["nextCursor"]
        if not cursor:
            return found


def token(
    server: CAServer, private_jwk: dict[str, Any], audience: str, subject: str
) -> str:
    """A one-time token from the provisioner, as ``step ca token`` makes it."""
    now = int(time.time())
    claims = {
        "iss": server.pki.provisioner_name,
        "aud": server.ca_url + audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    key = jwt.PyJWK(private_jwk)
    return jwt.encode(
        claims,
        key.key,
        algorithm=private_jwk["alg"],
        headers={"kid": private_jwk["kid"]},
    )


def sign(
    server: CAServer, private_jwk: dict[str, Any], name: str = "leaf.example"
) -> x509.Certificate:
    """A certificate for *name* from ``POST /1.0/sign``, checked against the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .sign(key, hashes.SHA256())
    )
    body = {
        "csr": csr.public_bytes(serialization.Encoding.PEM).decode(),
        "ott": token(server, private_jwk, "/1.0/sign", name),
    }
    status, answer = call(server, "POST", "/1.0/sign", body)
    assert status == 201, answer

    leaf = x509.load_pem_x509_certificate(answer["crt"].encode())
    intermediate = x509.load_pem_x509_certificate(
        server.pki.intermediate_cert.read_bytes()
    )
    leaf.verify_directly_issued_by(intermediate)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert sans.value.get_values_for_type(x509.DNSName) == [name]
    return leaf


def test_health_and_root_by_fingerprint(ca: CAServer) -> None:
    assert call(ca, "GET", "/health") == (200, {"status": "ok"})

    status, answer = call(ca, "GET", f"/root/{ca.pki.root_fingerprint}")
    assert status == 200
    root = x509.load_pem_x509_certificate(answer["ca"].encode())
    der = root.public_bytes(serialization.Encoding.DER)
    assert hashlib.sha256(der).hexdigest() == ca.pki.root_fingerprint


def test_ca_certificates_are_backdated(ca: CAServer) -> None:
    now = datetime.datetime.now(datetime.UTC)
    for path in (ca.pki.root_cert, ca.pki.intermediate_cert):
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        assert now - cert.not_valid_before_utc >= datetime.timedelta(minutes=59)


def test_provisioners_page_with_next_cursor(make_ca) -> None:
    server = make_ca(extra_provisioners=25)

    status, first = call(server, "GET", "/provisioners")
    assert status == 200
    assert len(first["provisioners"]) == 20
    assert first["nextCursor"]

    everything = list_provisioners(server)
    assert len(everything) == 26
    assert everything[-1]["name"] == "Admin JWK"
    assert everything[-1]["key"]["kid"] == server.pki.kid
    assert len(list_provisioners(server, limit=100)) == 26


def test_encrypted_key_decrypts_to_the_kid(
    ca: CAServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, page = call(ca, "GET", "/provisioners")
    assert status == 200
    entry = page["provisioners"][0]
    header = json.loads(jwt.utils.base64url_decode(entry["encryptedKey"].split(".")[0]))
    assert header["alg"] == "PBES2-HS256+A128KW"
    assert header["enc"] == "A256GCM"
    assert header["p2c"] == 100_000
    assert header["cty"] == "jwk+json"

    private = provisioner_jwk(ca, monkeypatch)
    public = jwk.JWK(**private).export_public(as_dict=True)
    assert jwk.JWK(**public).thumbprint() == ca.pki.kid
    assert jwk_thumbprint(public) == ca.pki.kid
    assert private["kid"] == entry["key"]["kid"] == ca.pki.kid
    assert private["alg"] == "ES256"
    assert "d" in private


def test_token_gets_a_certificate(
    ca: CAServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaf = sign(ca, provisioner_jwk(ca, monkeypatch))
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime == datetime.timedelta(hours=24, minutes=1)


@pytest.mark.parametrize(
    "options",
    [
        {
            "root_key": "RSA",
            "intermediate_key": "RSA",
            "provisioner_key": "OKP-Ed25519",
        },
        {"provisioner_key": "RSA-2048"},
        {"provisioner_key": "EC-P384"},
        {"provisioner_key": "EC-P521"},
    ],
    ids=["rsa-ca-ed25519", "rsa-provisioner", "p384-provisioner", "p521-provisioner"],
)
def test_key_type_variants_sign(
    make_ca, monkeypatch: pytest.MonkeyPatch, options: dict[str, str]
) -> None:
    server = make_ca(**options)
    private = provisioner_jwk(server, monkeypatch)
    assert jwk_thumbprint(private) == server.pki.kid

    leaf = sign(server, private)
    if options.get("root_key") == "RSA":
        root = x509.load_pem_x509_certificate(server.pki.root_cert.read_bytes())
        assert root.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.11"
        assert leaf.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.11"


def test_short_durations_start_and_apply(
    make_ca, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_ca(
        default_duration="2m", max_duration="3m", allow_renewal_after_expiry=True
    )
    leaf = sign(server, provisioner_jwk(server, monkeypatch))
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime == datetime.timedelta(minutes=3)


def test_revoke_is_recorded_and_survives_restart(
    make_ca, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_ca()
    private = provisioner_jwk(server, monkeypatch)
    serial = str(sign(server, private).serial_number)

    def revoke() -> tuple[int, dict[str, Any]]:
        body = {
            "serial": serial,
            "ott": token(server, private, "/1.0/revoke", serial),
            "passive": True,
            "reasonCode": 1,
        }
        return call(server, "POST", "/1.0/revoke", body)

    assert revoke()[0] == 200
    url = server.ca_url
    server.restart()
    assert server.ca_url == url
    status, answer = revoke()
    assert status == 400, answer
    assert "already" in answer["message"], answer


def test_cli_up_writes_env_and_down_stops(
    step_ca_binary, tmp_path: pathlib.Path
) -> None:
    directory = tmp_path / "demo"
    command = [sys.executable, "-m", "localca"]
    repo = pathlib.Path(localca.__file__).parent.parent
    subprocess.run([*command, "up", "--dir", str(directory)], check=True, cwd=repo)
    try:
        script = (
            'source "$1" && printf "%s\\n" '
            '"$CA_URL" "$CA_FINGERPRINT" "$CA_PROVISIONER" "$CA_PASSWORD_FILE"'
        )
        sourced = subprocess.run(
            ["bash", "-c", script, "bash", str(directory / "ca.env")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        pki = load_pki(directory)
        assert sourced == [
            pki.ca_url,
            pki.root_fingerprint,
            "Admin JWK",
            str(pki.provisioner_password_file),
        ]
        pid = int((directory / "ca.pid").read_text())
        assert runs_ca(pid, pki.ca_json)
        server = CAServer(pki, step_ca_binary, directory / "ca.log", detach=True)
        assert call(server, "GET", "/health") == (200, {"status": "ok"})
    finally:
        subprocess.run(
            [*command, "down", "--dir", str(directory)], check=True, cwd=repo
        )
    assert not runs_ca(pid, pki.ca_json)
    assert not (directory / "ca.pid").exists()


def test_start_refuses_a_non_loopback_address(
    step_ca_binary, tmp_path: pathlib.Path
) -> None:
    pki = create_pki(tmp_path, address="0.0.0.0:8443", db=False)
    with pytest.raises(ValueError, match="loopback"):
        start_ca(pki, step_ca_binary)


def test_cli_cert_duration_sets_a_new_pki_lifetime(tmp_path: pathlib.Path) -> None:
    from localca.__main__ import _prepare

    pki = _prepare(tmp_path / "short", None, "2m")
    claims = json.loads(pki.ca_json.read_text())["authority"]["claims"]
    assert claims["defaultTLSCertDuration"] == "2m"
    assert claims["minTLSCertDuration"] == "5s"
    with pytest.raises(SystemExit, match="applies to a new PKI"):
        _prepare(tmp_path / "short", None, "5m")
    with pytest.raises(SystemExit, match="--cert-duration soon: "):
        _prepare(tmp_path / "bad", None, "soon")
    assert not (tmp_path / "bad").exists()  # nothing half-made
