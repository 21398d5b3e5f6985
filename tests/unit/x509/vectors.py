"""Inspection vectors, generated with `cryptography`: one file per edge case.

Keys come from fixed numbers and ECDSA signs deterministically (RFC 6979), so
every file is byte-for-byte the same on every run and the golden outputs in
`golden/` stay valid. Only RSA-PSS signatures carry a random salt: their
vector is marked `random_signature` and the goldens mask what it changes.

`write_vectors(directory)` writes them all and returns the `Vector` records.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

#: When the vectors are valid (the expired one excepted).
NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2035, 1, 1, tzinfo=datetime.UTC)
#: A time inside every validity period but the expired one's.
AT = "2026-06-01T00:00:00Z"

OID_SCT_LIST = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
OID_UPN = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
OID_UNKNOWN = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.2")


@dataclass(frozen=True)
class Vector:
    name: str
    #: The file name under the vector directory.
    file: str
    #: What `inspect` should see: "certificate", "bundle" or "csr".
    kind: str = "certificate"
    random_signature: bool = False


# --- deterministic keys -------------------------------------------------------


def ec_key(curve: ec.EllipticCurve, seed: str) -> ec.EllipticCurvePrivateKey:
    order = {"secp256r1": 2**256, "secp384r1": 2**384}[curve.name]
    secret = int.from_bytes(hashlib.sha512(seed.encode()).digest(), "big") % (order - 2)
    return ec.derive_private_key(secret + 1, curve)


def ed25519_key(seed: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(seed.encode()).digest()
    )


def _probable_prime(n: int) -> bool:
    if n % 2 == 0:
        return False
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(seed: str, bits: int) -> int:
    stream = b"".join(
        hashlib.sha512(f"{seed}/{i}".encode()).digest() for i in range(bits // 512 + 1)
    )
    candidate = int.from_bytes(stream, "big") >> (len(stream) * 8 - bits)
    candidate |= (3 << (bits - 2)) | 1  # top two bits: the product has 2*bits
    while not (_probable_prime(candidate) and candidate % 65537 != 1):
        candidate += 2
    return candidate


def rsa_key(seed: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    p, q = _prime(seed + "p", bits // 2), _prime(seed + "q", bits // 2)
    e = 65537
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, p * q),
    )
    return numbers.private_key()


# --- building -----------------------------------------------------------------


def name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def _sign(builder, key, *, pss: bool = False):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return builder.sign(key, None)
    if isinstance(key, rsa.RSAPrivateKey):
        if pss:
            return builder.sign(
                key,
                hashes.SHA256(),
                rsa_padding=padding.PSS(
                    padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH
                ),
            )
        return builder.sign(key, hashes.SHA256())
    algorithm = hashes.SHA384() if key.curve.name == "secp384r1" else hashes.SHA256()
    return builder.sign(key, algorithm, ecdsa_deterministic=True)


def certificate(
    subject: x509.Name,
    key,
    *,
    issuer: tuple[x509.Name, object] | None = None,
    serial: int = 0x1001,
    ca: bool = False,
    path_len: int | None = None,
    extensions: list[tuple[x509.ExtensionType, bool]] = (),
    not_before: datetime.datetime = NOT_BEFORE,
    not_after: datetime.datetime = NOT_AFTER,
    pss: bool = False,
    key_ids: bool = True,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len), True)
    )
    if ca:
        usage = dict.fromkeys(
            (
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, **usage
            ),
            True,
        )
    if key_ids:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            False,
        )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return _sign(builder, issuer_key, pss=pss)


def v1_certificate(subject: x509.Name, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A version 1 certificate (no extensions), re-encoded with asn1crypto."""
    template = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    parsed = asn1_x509.Certificate.load(
        template.public_bytes(serialization.Encoding.DER)
    )
    tbs = parsed["tbs_certificate"].copy()
    tbs["version"] = "v1"
    tbs["extensions"] = None  # an optional field: left out
    signature = key.sign(
        tbs.dump(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    )
    return asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": parsed["signature_algorithm"],
            "signature_value": signature,
        }
    ).dump()


def sct_list(entries: list[tuple[bytes, int, bytes]]) -> bytes:
    """The SCT list extension value: DER OCTET STRING of RFC 6962 TLS bytes."""
    items = b""
    for log_id, timestamp_ms, signature in entries:
        sct = (
            b"\x00"
            + log_id
            + timestamp_ms.to_bytes(8, "big")
            + b"\x00\x00"
            + b"\x04\x03"
            + len(signature).to_bytes(2, "big")
            + signature
        )
        items += len(sct).to_bytes(2, "big") + sct
    tls = len(items).to_bytes(2, "big") + items
    length = len(tls)
    if length < 0x80:
        header = bytes([0x04, length])
    elif length < 0x100:
        header = bytes([0x04, 0x81, length])
    else:
        header = bytes([0x04, 0x82]) + length.to_bytes(2, "big")
    return header + tls


def pem(*certs: x509.Certificate | bytes) -> bytes:
    out = b""
    for cert in certs:
        if isinstance(cert, bytes):
            cert = x509.load_der_x509_certificate(cert)
        out += cert.public_bytes(serialization.Encoding.PEM)
    return out


# --- the vector set -----------------------------------------------------------


def write_vectors(directory: Path) -> list[Vector]:
    """Write every vector file into `directory`; return their records."""
    directory.mkdir(parents=True, exist_ok=True)
    vectors: list[Vector] = []

    def put(vector: Vector, data: bytes) -> None:
        (directory / vector.file).write_bytes(data)
        vectors.append(vector)

    root_key = ec_key(ec.SECP256R1(), "root")
    root_name = name(
        (NameOID.ORGANIZATION_NAME, "Vectors"), (NameOID.COMMON_NAME, "Vectors Root CA")
    )
    root = certificate(root_name, root_key, serial=1, ca=True, path_len=1)
    put(Vector("self-signed-root", "root.pem"), pem(root))

    inter_key = ec_key(ec.SECP384R1(), "intermediate")
    inter_name = name((NameOID.COMMON_NAME, "Vectors Intermediate CA"))
    inter = certificate(
        inter_name,
        inter_key,
        issuer=(root_name, root_key),
        serial=2,
        ca=True,
        path_len=0,
        extensions=[
            (
                x509.NameConstraints(
                    permitted_subtrees=[
                        x509.DNSName("example.com"),
                        x509.IPAddress(ipaddress.ip_network("10.0.0.0/8")),
                        x509.IPAddress(ipaddress.ip_network("2001:db8::/32")),
                        x509.RFC822Name("example.com"),
                        x509.UniformResourceIdentifier(".example.com"),
                    ],
                    excluded_subtrees=[
                        x509.DNSName("bad.example.com"),
                        x509.IPAddress(ipaddress.ip_network("fd00::/8")),
                    ],
                ),
                True,
            ),
        ],
    )
    put(Vector("name-constraints-p384", "intermediate.pem"), pem(inter))

    leaf_key = ec_key(ec.SECP256R1(), "leaf")
    leaf = certificate(
        name((NameOID.COMMON_NAME, "www.example.com")),
        leaf_key,
        issuer=(inter_name, inter_key),
        serial=0x2A,
        extensions=[
            (
                x509.KeyUsage(
                    True, False, False, False, False, False, False, False, False
                ),
                True,
            ),
            (
                x509.ExtendedKeyUsage(
                    [
                        x509.ExtendedKeyUsageOID.SERVER_AUTH,
                        x509.ExtendedKeyUsageOID.CLIENT_AUTH,
                    ]
                ),
                False,
            ),
            (
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("www.example.com"),
                        x509.DNSName("api.example.com"),
                        x509.IPAddress(ipaddress.ip_address("10.1.2.3")),
                        x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
                        x509.RFC822Name("admin@example.com"),
                        x509.UniformResourceIdentifier("https://www.example.com/id"),
                        x509.OtherName(OID_UPN, b"\x0c\x10user@example.com"),
                        x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4")),
                    ]
                ),
                False,
            ),
            (
                x509.CertificatePolicies(
                    [
                        x509.PolicyInformation(
                            x509.ObjectIdentifier("2.23.140.1.2.1"), None
                        ),
                        x509.PolicyInformation(
                            x509.ObjectIdentifier("1.3.6.1.4.1.55555.7"),
                            [
                                "https://example.com/cps",
                                x509.UserNotice(None, "Vectors only"),
                            ],
                        ),
                    ]
                ),
                False,
            ),
            (
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier("http://ocsp.example.com"),
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(
                                "http://ca.example.com/inter.crt"
                            ),
                        ),
                    ]
                ),
                False,
            ),
            (
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [
                                x509.UniformResourceIdentifier(
                                    "http://crl.example.com/inter.crl"
                                )
                            ],
                            None,
                            None,
                            None,
                        ),
                    ]
                ),
                False,
            ),
            (
                x509.UnrecognizedExtension(
                    OID_SCT_LIST,
                    sct_list(
                        [
                            (bytes(range(32)), 1735689600123, bytes(range(70))),
                            (bytes(range(32, 64)), 1735689601000, bytes(range(1, 72))),
                        ]
                    ),
                ),
                False,
            ),
        ],
    )
    put(Vector("leaf-all-extensions", "leaf.pem"), pem(leaf))
    put(Vector("leaf-der", "leaf.der"), leaf.public_bytes(serialization.Encoding.DER))
    # The leaf first, then the root before the intermediate that it issued.
    put(
        Vector("chain-wrong-order", "wrong-order.pem", kind="bundle"),
        pem(leaf, root, inter),
    )

    put(
        Vector("no-subject-cn", "no-cn.pem"),
        pem(
            certificate(
                name(
                    (NameOID.ORGANIZATION_NAME, "No CN Inc"),
                    (NameOID.COUNTRY_NAME, "DE"),
                ),
                ec_key(ec.SECP256R1(), "no-cn"),
                issuer=(root_name, root_key),
                extensions=[
                    (
                        x509.SubjectAlternativeName([x509.DNSName("no-cn.example")]),
                        False,
                    )
                ],
            )
        ),
    )
    put(
        Vector("non-ascii-names", "non-ascii.pem"),
        pem(
            certificate(
                name(
                    (NameOID.COUNTRY_NAME, "JP"),
                    (NameOID.ORGANIZATION_NAME, "Ünïcødé Gesellschaft"),
                    (NameOID.LOCALITY_NAME, "東京"),
                    (NameOID.COMMON_NAME, "José Müller — 日本"),
                ),
                ec_key(ec.SECP256R1(), "non-ascii"),
                issuer=(root_name, root_key),
            )
        ),
    )
    put(
        Vector("serial-20-bytes", "serial-20.pem"),
        pem(
            certificate(
                name((NameOID.COMMON_NAME, "twenty")),
                ec_key(ec.SECP256R1(), "s20"),
                issuer=(root_name, root_key),
                serial=int.from_bytes(bytes(range(0x71, 0x71 + 20)), "big"),
            )
        ),
    )
    put(
        Vector("serial-high-bit", "serial-high-bit.pem"),
        pem(
            certificate(
                name((NameOID.COMMON_NAME, "high bit")),
                ec_key(ec.SECP256R1(), "hb"),
                issuer=(root_name, root_key),
                serial=0x80F00D0000000001,
            )
        ),
    )
    rsa_issuer = rsa_key("rsa-root")
    put(
        Vector("rsa-pss", "rsa-pss.pem", random_signature=True),
        pem(
            certificate(
                name((NameOID.COMMON_NAME, "rsa pss")),
                rsa_issuer,
                pss=True,
                ca=True,
            )
        ),
    )
    put(
        Vector("rsa-pkcs1", "rsa.pem"),
        pem(
            certificate(
                name((NameOID.COMMON_NAME, "rsa pkcs1")),
                rsa_issuer,
            )
        ),
    )
    ed_key = ed25519_key("ed")
    put(
        Vector("ed25519", "ed25519.pem"),
        pem(
            certificate(
                name((NameOID.COMMON_NAME, "ed25519")),
                ed_key,
                extensions=[
                    (x509.SubjectAlternativeName([x509.DNSName("ed.example")]), False)
                ],
            )
        ),
    )
    put(
        Vector("v1", "v1.pem"),
        pem(
            v1_certificate(
                name((NameOID.COMMON_NAME, "version one")), ec_key(ec.SECP256R1(), "v1")
            )
        ),
    )
    put(
        Vector("unknown-critical-extension", "unknown-critical.pem"),
        pem(
            certificate(
                name((NameOID.COMMON_NAME, "unknown critical")),
                ec_key(ec.SECP256R1(), "uc"),
                issuer=(root_name, root_key),
                extensions=[
                    (x509.UnrecognizedExtension(OID_UNKNOWN, b"\x04\x03abc"), True)
                ],
            )
        ),
    )
    put(
        Vector("expired", "expired.pem"),
        pem(
            certificate(
                name((NameOID.COMMON_NAME, "expired.example")),
                ec_key(ec.SECP256R1(), "exp"),
                issuer=(root_name, root_key),
                not_before=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
                not_after=datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC),
                extensions=[
                    (
                        x509.SubjectAlternativeName([x509.DNSName("expired.example")]),
                        False,
                    )
                ],
            )
        ),
    )

    csr_key = ec_key(ec.SECP256R1(), "csr")
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name((NameOID.COMMON_NAME, "csr.example")))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("csr.example"),
                    x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
                ]
            ),
            False,
        )
        .sign(csr_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    csr_pem = request.public_bytes(serialization.Encoding.PEM)
    put(Vector("csr", "request.csr", kind="csr"), csr_pem)
    der = bytearray(request.public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01  # inside the signature's s value
    broken = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    put(Vector("csr-bad-signature", "bad-signature.csr", kind="csr"), broken)
    return vectors
