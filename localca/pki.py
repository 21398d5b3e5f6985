"""Create a throwaway PKI and a ``ca.json`` for a local step-ca.

The layout follows what ``step ca init`` writes (``certs/``, ``secrets/``,
``config/ca.json``, ``db/``) so that the server finds what it expects: a root,
an intermediate whose key is encrypted with a password, and JWK provisioners
whose private keys are stored as step stores them, a PBES2 JWE in
``encryptedKey``. This is test and demo tooling, not part of the product.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.x509.oid import NameOID

__all__ = [
    "DB_TYPE",
    "KEY_TYPES",
    "METADATA_FILE",
    "PKI",
    "create_pki",
    "encrypt_jwk",
    "jwk_thumbprint",
    "load_pki",
    "parse_duration",
    "public_jwk",
    "set_address",
]

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey

# The badger driver named plain "badger" is v1, which Debian resolves to its
# badger v2 sources; name v2 explicitly so the driver matches the code.
DB_TYPE = "badgerv2"

# Key types accepted for the CA keys and the provisioner, with the JWS
# algorithm a provisioner of that type signs with (RFC 7518 section 3.1).
KEY_TYPES = {
    "EC": "ES256",
    "EC-P256": "ES256",
    "EC-P384": "ES384",
    "EC-P521": "ES512",
    "OKP-Ed25519": "EdDSA",
    "RSA": "RS256",
    "RSA-2048": "RS256",
    "RSA-3072": "RS256",
    "RSA-4096": "RS256",
}

_CURVES = {
    "EC": ec.SECP256R1,
    "EC-P256": ec.SECP256R1,
    "EC-P384": ec.SECP384R1,
    "EC-P521": ec.SECP521R1,
}
_JWK_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

# step-ca's built-in certificate durations (authority/config/config.go).
_SERVER_MIN = "5m"
_SERVER_DEFAULT = "24h"

_JWE_ALG = "PBES2-HS256+A128KW"
_JWE_ENC = "A256GCM"
METADATA_FILE = "localca.json"
# PKI fields that are paths, stored relative to the PKI directory.
_PATH_FIELDS = (
    "ca_json",
    "root_cert",
    "root_key",
    "intermediate_cert",
    "intermediate_key",
    "password_file",
    "provisioner_password_file",
    "db_path",
)


@dataclass(frozen=True)
class PKI:
    """Files and facts of a PKI made by :func:`create_pki`."""

    directory: Path
    ca_json: Path
    root_cert: Path
    root_key: Path
    intermediate_cert: Path
    intermediate_key: Path
    password_file: Path
    provisioner_password_file: Path
    root_fingerprint: str
    provisioner_name: str
    kid: str
    dns_names: tuple[str, ...]
    address: str | None = None
    db_path: Path | None = None

    @property
    def ca_url(self) -> str:
        """The CA's base URL; needs an address (see :func:`set_address`)."""
        if self.address is None:
            raise ValueError("this PKI has no address yet: start the CA first")
        return f"https://{self.address}"

    @property
    def provisioner_password(self) -> bytes:
        """The password that decrypts the provisioner's ``encryptedKey``."""
        return self.provisioner_password_file.read_bytes()


def create_pki(
    directory: str | os.PathLike[str],
    *,
    root_key: str = "EC",
    intermediate_key: str = "EC",
    provisioner_name: str = "Admin JWK",
    provisioner_password: bytes = b"localca-provisioner-password",
    provisioner_key: str = "EC-P256",
    extra_provisioners: int = 0,
    dns_names: tuple[str, ...] = ("localhost", "127.0.0.1"),
    min_duration: str | None = None,
    default_duration: str | None = None,
    max_duration: str | None = None,
    allow_renewal_after_expiry: bool = False,
    backdate: datetime.timedelta = datetime.timedelta(hours=1),
    db: bool = True,
    address: str | None = None,
) -> PKI:
    """Write a root, an intermediate, provisioners and ``ca.json`` to *directory*.

    ``extra_provisioners`` dummy JWK provisioners come before the named one in
    ``ca.json``, so that it can sit beyond the first page of ``/provisioners``.
    Durations are step-ca duration strings (``"5m"``, ``"24h"``); missing
    bounds are filled in so that the server accepts them. ``backdate`` moves
    the CA certificates' ``notBefore`` into the past. With ``address`` None,
    :func:`localca.server.start_ca` picks a free loopback port.
    """
    if extra_provisioners < 0:
        raise ValueError("extra_provisioners must not be negative")
    claims = _duration_claims(min_duration, default_duration, max_duration)
    if allow_renewal_after_expiry:
        claims["allowRenewalAfterExpiry"] = True

    base = Path(directory).resolve()
    for sub in ("certs", "secrets", "config"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "secrets").chmod(0o700)

    password = secrets.token_urlsafe(24).encode()
    password_file = _write_secret(base / "secrets" / "password", password)
    provisioner_password_file = _write_secret(
        base / "secrets" / "provisioner_password", provisioner_password
    )

    now = datetime.datetime.now(datetime.UTC)
    not_before = now - backdate
    not_after = now + datetime.timedelta(days=3650)
    root = _generate_key(root_key)
    root_cert = _ca_certificate(
        "localca Root CA", root, root, None, None, not_before, not_after
    )
    intermediate = _generate_key(intermediate_key)
    intermediate_cert = _ca_certificate(
        "localca Intermediate CA",
        intermediate,
        root,
        root_cert,
        0,
        not_before,
        not_after,
    )
    paths = {
        "root_cert": base / "certs" / "root_ca.crt",
        "root_key": base / "secrets" / "root_ca_key",
        "intermediate_cert": base / "certs" / "intermediate_ca.crt",
        "intermediate_key": base / "secrets" / "intermediate_ca_key",
    }
    paths["root_cert"].write_bytes(root_cert.public_bytes(serialization.Encoding.PEM))
    paths["intermediate_cert"].write_bytes(
        intermediate_cert.public_bytes(serialization.Encoding.PEM)
    )
    _write_secret(paths["root_key"], _encrypted_pem(root, password))
    _write_secret(paths["intermediate_key"], _encrypted_pem(intermediate, password))

    provisioners = [
        _jwk_provisioner(f"extra-{i:03d}", "EC-P256", provisioner_password)
        for i in range(1, extra_provisioners + 1)
    ]
    named = _jwk_provisioner(provisioner_name, provisioner_key, provisioner_password)
    provisioners.append(named)

    db_path = base / "db" if db else None
    config = {
        "root": str(paths["root_cert"]),
        "crt": str(paths["intermediate_cert"]),
        "key": str(paths["intermediate_key"]),
        "address": address or "127.0.0.1:0",
        "dnsNames": list(dns_names),
        "logger": {"format": "text"},
        "authority": {"provisioners": provisioners},
    }
    if claims:
        config["authority"]["claims"] = claims
    if db_path is not None:
        config["db"] = {"type": DB_TYPE, "dataSource": str(db_path)}
    ca_json = base / "config" / "ca.json"
    ca_json.write_text(json.dumps(config, indent=2) + "\n")

    pki = PKI(
        directory=base,
        ca_json=ca_json,
        password_file=password_file,
        provisioner_password_file=provisioner_password_file,
        root_fingerprint=hashlib.sha256(
            root_cert.public_bytes(serialization.Encoding.DER)
        ).hexdigest(),
        provisioner_name=provisioner_name,
        kid=named["key"]["kid"],
        dns_names=tuple(dns_names),
        address=address,
        db_path=db_path,
        **paths,
    )
    _save_metadata(pki)
    return pki


def set_address(pki: PKI, address: str) -> PKI:
    """Point ``ca.json`` (and the saved metadata) at *address*, ``host:port``."""
    config = json.loads(pki.ca_json.read_text())
    config["address"] = address
    pki.ca_json.write_text(json.dumps(config, indent=2) + "\n")
    updated = dataclasses.replace(pki, address=address)
    _save_metadata(updated)
    return updated


def load_pki(directory: str | os.PathLike[str]) -> PKI:
    """Read back a PKI that :func:`create_pki` wrote to *directory*."""
    base = Path(directory).resolve()
    fields = json.loads((base / METADATA_FILE).read_text())
    for name in _PATH_FIELDS:
        if fields.get(name) is not None:
            fields[name] = base / fields[name]
    fields["dns_names"] = tuple(fields["dns_names"])
    return PKI(directory=base, **fields)


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string such as ``"1h30m"`` or ``"90s"``."""
    units = {
        "ns": 1e-9,
        "us": 1e-6,
        "µs": 1e-6,
        "ms": 1e-3,
        "s": 1.0,
        "m": 60.0,
        "h": 3600.0,
    }
    rest, total = text.strip(), 0.0
    if not rest:
        raise ValueError(f"invalid duration {text!r}")
    while rest:
        number = len(rest) - len(rest.lstrip("0123456789."))
        unit = len(rest[number:]) - len(rest[number:].lstrip("nuµmsh"))
        value, suffix = rest[:number], rest[number : number + unit]
        if not value or suffix not in units:
            raise ValueError(f"invalid duration {text!r}")
        total += float(value) * units[suffix]
        rest = rest[number + unit :]
    return total


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public JWK of *key* with only its required members (RFC 7638 s3.2)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.public_key().public_numbers()
        size = (key.curve.key_size + 7) // 8
        return {
            "crv": _JWK_CURVES[key.curve.name],
            "kty": "EC",
            "x": _b64url(numbers.x.to_bytes(size, "big")),
            "y": _b64url(numbers.y.to_bytes(size, "big")),
        }
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    numbers = key.public_key().public_numbers()
    return {
        "e": _b64url(_uint(numbers.e)),
        "kty": "RSA",
        "n": _b64url(_uint(numbers.n)),
    }


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url."""
    required = {
        "EC": ("crv", "kty", "x", "y"),
        "OKP": ("crv", "kty", "x"),
        "RSA": ("e", "kty", "n"),
    }[jwk["kty"]]
    members = {name: jwk[name] for name in required}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def encrypt_jwk(jwk: dict[str, str], password: bytes, iterations: int = 100_000) -> str:
    """Encrypt a JWK with a password as step does: compact JWE, PBES2 + A256GCM."""
    salt = os.urandom(16)
    header = {
        "alg": _JWE_ALG,
        "cty": "jwk+json",
        "enc": _JWE_ENC,
        "p2c": iterations,
        "p2s": _b64url(salt),
    }
    protected = _b64url(json.dumps(header, separators=(",", ":")).encode())

    # RFC 7518 s4.8.1.1: the PBKDF2 salt is the alg name, a zero byte, then p2s.
    kdf_salt = _JWE_ALG.encode() + b"\x00" + salt
    kek = PBKDF2HMAC(hashes.SHA256(), 16, kdf_salt, iterations).derive(password)
    cek = os.urandom(32)
    wrapped = aes_key_wrap(kek, cek)

    # RFC 7516 s5.1: the AAD is the encoded protected header.
    iv = os.urandom(12)
    plaintext = json.dumps(jwk, separators=(",", ":")).encode()
    sealed = AESGCM(cek).encrypt(iv, plaintext, protected.encode())
    ciphertext, tag = sealed[:-16], sealed[-16:]
    parts = [wrapped, iv, ciphertext, tag]
    return ".".join([protected, *(_b64url(part) for part in parts)])


def _duration_claims(
    min_duration: str | None, default_duration: str | None, max_duration: str | None
) -> dict[str, str | bool]:
    """TLS duration claims with missing bounds filled in so step-ca starts."""
    given = [d for d in (min_duration, default_duration, max_duration) if d]
    if not given:
        return {}
    low = min_duration or min([_SERVER_MIN, *given], key=parse_duration)
    high = max_duration or max([_SERVER_DEFAULT, *given], key=parse_duration)
    if default_duration:
        default = default_duration
    elif parse_duration(_SERVER_DEFAULT) > parse_duration(high):
        default = high
    else:
        default = max(low, _SERVER_DEFAULT, key=parse_duration)
    if not parse_duration(low) <= parse_duration(default) <= parse_duration(high):
        raise ValueError(
            f"durations must satisfy min <= default <= max: {low}, {default}, {high}"
        )
    return {
        "minTLSCertDuration": low,
        "maxTLSCertDuration": high,
        "defaultTLSCertDuration": default,
    }


def _jwk_provisioner(name: str, key_type: str, password: bytes) -> dict[str, object]:
    """A JWK provisioner entry for ``ca.json`` with a fresh key."""
    key = _generate_key(key_type)
    public = public_jwk(key)
    public.update(use="sig", alg=KEY_TYPES[key_type], kid=jwk_thumbprint(public))
    private = {**public, **_private_members(key)}
    return {
        "type": "JWK",
        "name": name,
        "key": public,
        "encryptedKey": encrypt_jwk(private, password),
    }


def _private_members(key: PrivateKey) -> dict[str, str]:
    """The private JWK members of *key* (RFC 7518 s6.2.2, s6.3.2; RFC 8037)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        return {"d": _b64url(key.private_numbers().private_value.to_bytes(size, "big"))}
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return {"d": _b64url(raw)}
    n = key.private_numbers()
    values = {"d": n.d, "p": n.p, "q": n.q, "dp": n.dmp1, "dq": n.dmq1, "qi": n.iqmp}
    return {name: _b64url(_uint(value)) for name, value in values.items()}


def _generate_key(key_type: str) -> PrivateKey:
    """A new private key of one of :data:`KEY_TYPES`."""
    if key_type not in KEY_TYPES:
        raise ValueError(f"unknown key type {key_type!r}; use one of {list(KEY_TYPES)}")
    if key_type in _CURVES:
        return ec.generate_private_key(_CURVES[key_type]())
    if key_type == "OKP-Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    bits = 2048 if key_type == "RSA" else int(key_type.removeprefix("RSA-"))
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _ca_certificate(
    common_name: str,
    key: PrivateKey,
    issuer_key: PrivateKey,
    issuer: x509.Certificate | None,
    path_length: int | None,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> x509.Certificate:
    """A CA certificate for *key*, self-signed when *issuer* is None."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "localca"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    issuer_name = subject if issuer is None else issuer.subject
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
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
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), True)
        .add_extension(usage, critical=True)
        .add_extension(ski, critical=False)
        .add_extension(aki, critical=False)
    )
    algorithm = (
        None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else (hashes.SHA256())
    )
    return builder.sign(issuer_key, algorithm)


def _encrypted_pem(key: PrivateKey, password: bytes) -> bytes:
    """*key* as an encrypted PKCS#8 PEM (PBES2), which step-ca can read."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )


def _write_secret(path: Path, data: bytes) -> Path:
    """Write *data* to *path*, readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


def _save_metadata(pki: PKI) -> None:
    """Record *pki*'s fields next to it so that :func:`load_pki` can read them."""
    fields = dataclasses.asdict(pki)
    del fields["directory"]
    for name in _PATH_FIELDS:
        if fields[name] is not None:
            fields[name] = str(fields[name].relative_to(pki.directory))
    (pki.directory / METADATA_FILE).write_text(json.dumps(fields, indent=2) + "\n")


def _b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 s2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(value: int) -> bytes:
    """The shortest big-endian bytes of a non-negative integer."""
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
