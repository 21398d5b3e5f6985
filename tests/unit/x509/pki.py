"""Certificates for the X.509 tests, made with `cryptography` as the oracle."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime(2026, 12, 4, 15, 49, 12, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)

_KEYS: dict[str, object] = {}


def new_key(kind: str = "p256"):
    """Return a fresh private key: p256, p384, rsa2048, rsa3072, ed25519."""
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(kind)


def cached_key(name: str, kind: str = "p256"):
    """Return the same key for the same name: RSA generation is slow."""
    if name not in _KEYS:
        _KEYS[name] = new_key(kind)
    return _KEYS[name]


def hash_for(key):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size == 384:
        return hashes.SHA384()
    return hashes.SHA256()


def name(cn: str | None = None, **attributes: str) -> x509.Name:
    parts = []
    oids = {
        "o": NameOID.ORGANIZATION_NAME,
        "ou": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "c": NameOID.COUNTRY_NAME,
        "email": NameOID.EMAIL_ADDRESS,
    }
    for key, value in attributes.items():
        parts.append(x509.NameAttribute(oids[key], value))
    if cn is not None:
        parts.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(parts)


@dataclass
class Issued:
    cert: x509.Certificate
    key: object

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def san_objects(sans: list[str]) -> list[x509.GeneralName]:
    objects: list[x509.GeneralName] = []
    for san in sans:
        kind, _, value = san.partition(":")
        if kind == "DNS":
            objects.append(x509.DNSName(value))
        elif kind == "IP":
            objects.append(x509.IPAddress(ipaddress.ip_address(value)))
        elif kind == "email":
            objects.append(x509.RFC822Name(value))
        elif kind == "URI":
            objects.append(x509.UniformResourceIdentifier(value))
        else:
            raise ValueError(san)
    return objects


def issue(
    subject: x509.Name | str,
    *,
    key=None,
    issuer: Issued | None = None,
    ca: bool = False,
    path_len: int | None = None,
    basic_constraints: bool = True,
    sans: list[str] | None = None,
    key_usage: dict | None = None,
    eku: list | None = None,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    serial: int | None = None,
    ski: bool = True,
    aki: bool = True,
    extensions: list[tuple[x509.ExtensionType, bool]] = (),
    issuer_name: x509.Name | None = None,
    signing_key=None,
) -> Issued:
    """Issue a certificate; self-signed when `issuer` is None."""
    if isinstance(subject, str):
        subject = name(subject)
    key = key if key is not None else new_key()
    signer = signing_key or (issuer.key if issuer else key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or (issuer.cert.subject if issuer else subject))
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 30 * DAY)
    )
    if basic_constraints:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_len), critical=True
        )
    if key_usage is None and ca:
        key_usage = {"key_cert_sign": True, "crl_sign": True}
    if key_usage is None and not ca:
        key_usage = {"digital_signature": True}
    if key_usage is not False:
        flags = dict.fromkeys(
            [
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
                "encipher_only",
                "decipher_only",
            ],
            False,
        )
        flags.update(key_usage)
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(san_objects(sans)), critical=False
        )
    if ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    if aki and issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    cert = builder.sign(signer, hash_for(signer))
    return Issued(cert, key)


SERVER = [ExtendedKeyUsageOID.SERVER_AUTH]
CLIENT = [ExtendedKeyUsageOID.CLIENT_AUTH]
SERVER_CLIENT = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]


def rsa_pss_sign(builder: x509.CertificateBuilder, key) -> x509.Certificate:
    return builder.sign(
        key,
        hashes.SHA256(),
        rsa_padding=padding.PSS(
            mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH
        ),
    )


def der_tlv(tag: int, content: bytes) -> bytes:
    """One DER element; an independent encoder for test vectors."""
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def provisioner_value(
    kind: int, name: str, credential_id: str, pairs: list[str] | None = None
) -> bytes:
    """The step provisioner extension value, encoded as Go's encoding/asn1 does."""
    body = der_tlv(0x02, kind.to_bytes(max(1, (kind.bit_length() + 8) // 8), "big"))
    body += der_tlv(0x04, name.encode())
    body += der_tlv(0x04, credential_id.encode())
    if pairs:
        body += der_tlv(0x30, b"".join(_go_string(p) for p in pairs))
    return der_tlv(0x30, body)


_PRINTABLE = set(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"
)


def _go_string(text: str) -> bytes:
    # encoding/asn1 writes PrintableString when it can, UTF8String otherwise.
    tag = 0x13 if set(text) <= _PRINTABLE else 0x0C
    return der_tlv(tag, text.encode())
