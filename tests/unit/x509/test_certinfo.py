"""Inspection: describe() against cryptography's parse, and step's text layouts."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
)
from stepwasm_core.certinfo import (
    OID_STEP_PROVISIONER,
    decode_provisioner_extension,
    describe,
    format_short,
    format_text,
    inspect,
    provisioner_extension,
)
from stepwasm_core.errors import CertificateError, InputError
from stepwasm_core.pem import load_certificates, to_pem

from .pki import (
    DAY,
    NOW,
    SERVER_CLIENT,
    Issued,
    cached_key,
    issue,
    name,
    provisioner_value,
    rsa_pss_sign,
)

pytestmark = pytest.mark.unit

PROVISIONER_OID = x509.ObjectIdentifier(OID_STEP_PROVISIONER)


def provisioner(kind=1, pname="Admin JWK", kid="kid", pairs=None, *, critical=False):
    value = provisioner_value(kind, pname, kid, pairs)
    return (x509.UnrecognizedExtension(PROVISIONER_OID, value), critical)


def parsed(issued: Issued):
    [cert] = load_certificates(issued.der, source="test.crt")
    return cert


# --- a family of certificates, each cross-checked field by field -------------


@pytest.fixture(scope="module")
def root_rsa() -> Issued:
    return issue(
        name("Root RSA", o="Example", c="US"),
        key=cached_key("root-rsa", "rsa2048"),
        ca=True,
    )


@pytest.fixture(scope="module")
def family(root_rsa) -> dict[str, Issued]:
    inter = issue(
        name("Intermediate P-384", o="Example", ou="PKI"),
        key=cached_key("inter-p384", "p384"),
        issuer=root_rsa,
        ca=True,
        path_len=0,
    )
    pss_builder = (
        x509.CertificateBuilder()
        .subject_name(name("pss.example"))
        .issuer_name(root_rsa.cert.subject)
        .public_key(cached_key("pss-leaf", "p256").public_key())
        .serial_number(77)
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("pss.example")]), False
        )
    )
    return {
        "root-rsa2048": root_rsa,
        "intermediate-p384-pathlen0": inter,
        "leaf-p256-everything": issue(
            name("web.example", o="Example", email="ops@example.com"),
            key=cached_key("leaf-p256", "p256"),
            issuer=inter,
            sans=[
                "DNS:web.example",
                "DNS:*.web.example",
                "IP:127.0.0.1",
                "IP:2001:db8::1",
                "email:ops@example.com",
                "URI:spiffe://example.org/web",
            ],
            key_usage={"digital_signature": True, "key_encipherment": True},
            eku=SERVER_CLIENT,
            extensions=[provisioner(1, "Admin JWK", "0123456789abcdef", ["k", "v"])],
        ),
        "leaf-ed25519-bare": issue(
            "ed.example",
            key=cached_key("leaf-ed", "ed25519"),
            issuer=inter,
            ski=False,
            aki=False,
            key_usage=False,
        ),
        "leaf-rsa3072-client": issue(
            "client",
            key=cached_key("leaf-rsa3072", "rsa3072"),
            issuer=inter,
            eku=[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.CODE_SIGNING],
        ),
        "leaf-signed-rsa-pss": Issued(
            rsa_pss_sign(pss_builder, root_rsa.key), cached_key("pss-leaf", "p256")
        ),
        "no-basic-constraints": issue(
            "nobc", issuer=inter, basic_constraints=False, key_usage=False
        ),
    }


LABELS = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COUNTRY_NAME: "C",
    NameOID.EMAIL_ADDRESS: "emailAddress",
}
KU_FIELDS = {
    "digital_signature": "digital_signature",
    "content_commitment": "content_commitment",
    "key_encipherment": "key_encipherment",
    "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement",
    "key_cert_sign": "certificate_sign",
    "crl_sign": "crl_sign",
}
EKU_KEYS = {
    ExtendedKeyUsageOID.SERVER_AUTH: "server_auth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "client_auth",
    ExtendedKeyUsageOID.CODE_SIGNING: "code_signing",
}


def rfc3339(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def extension(cert: x509.Certificate, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


NAMES = [
    "root-rsa2048",
    "intermediate-p384-pathlen0",
    "leaf-p256-everything",
    "leaf-ed25519-bare",
    "leaf-rsa3072-client",
    "leaf-signed-rsa-pss",
    "no-basic-constraints",
]


@pytest.mark.parametrize("which", NAMES)
def test_describe_matches_cryptography(family, which: str) -> None:
    issued = family[which]
    theirs = issued.cert
    ours = describe(parsed(issued))
    json.dumps(ours)  # JSON-able

    assert ours["version"] == 3
    assert ours["serial_number"] == str(theirs.serial_number)
    assert (
        ours["signature_algorithm"]["oid"]
        == theirs.signature_algorithm_oid.dotted_string
    )
    assert ours["signature"]["value"] == base64.b64encode(theirs.signature).decode()
    assert ours["subject_dn"] == ",".join(
        f"{LABELS[a.oid]}={a.value}" for a in theirs.subject
    )
    assert ours["issuer_dn"] == ",".join(
        f"{LABELS[a.oid]}={a.value}" for a in theirs.issuer
    )
    assert ours["subject"]["common_name"] == [
        a.value for a in theirs.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]
    assert ours["validity"]["start"] == rfc3339(theirs.not_valid_before_utc)
    assert ours["validity"]["end"] == rfc3339(theirs.not_valid_after_utc)
    assert ours["validity"]["length"] == int(
        (theirs.not_valid_after_utc - theirs.not_valid_before_utc).total_seconds()
    )
    assert ours["fingerprint_sha256"] == theirs.fingerprint(hashes.SHA256()).hex()
    assert ours["fingerprint_sha1"] == theirs.fingerprint(hashes.SHA1()).hex()

    key_info = ours["subject_key_info"]
    public_key = theirs.public_key()
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key_info["fingerprint_sha256"] == hashes_hex(spki)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        assert key_info["key_algorithm"]["name"] == "ECDSA"
        ecdsa = key_info["ecdsa_public_key"]
        assert ecdsa["length"] == public_key.curve.key_size
        assert (
            ecdsa["curve"]
            == {"secp256r1": "P-256", "secp384r1": "P-384"}[public_key.curve.name]
        )
        numbers = public_key.public_numbers()
        assert b64_int(ecdsa["x"]) == numbers.x
        assert b64_int(ecdsa["y"]) == numbers.y
    elif isinstance(public_key, rsa.RSAPublicKey):
        assert key_info["key_algorithm"]["name"] == "RSA"
        assert key_info["rsa_public_key"]["length"] == public_key.key_size
        assert key_info["rsa_public_key"]["exponent"] == public_key.public_numbers().e
        assert b64_int(key_info["rsa_public_key"]["modulus"]) == (
            public_key.public_numbers().n
        )
    else:
        assert isinstance(public_key, ed25519.Ed25519PublicKey)
        assert key_info["key_algorithm"]["name"] == "Ed25519"
        assert base64.b64decode(key_info["ed25519_public_key"]["public_key"]) == (
            public_key.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    extensions = ours["extensions"]
    basic = extension(theirs, x509.BasicConstraints)
    if basic is None:
        assert "basic_constraints" not in extensions
    else:
        assert extensions["basic_constraints"]["is_ca"] == basic.ca
        assert extensions["basic_constraints"].get("max_path_len") == basic.path_length

    usage = extension(theirs, x509.KeyUsage)
    if usage is None:
        assert "key_usage" not in extensions
    else:
        expected = {
            ours_key for attr, ours_key in KU_FIELDS.items() if getattr(usage, attr)
        }
        present = {k for k, v in extensions["key_usage"].items() if v is True}
        assert present == expected

    extended = extension(theirs, x509.ExtendedKeyUsage)
    if extended is None:
        assert "extended_key_usage" not in extensions
    else:
        assert set(extensions["extended_key_usage"]) == {EKU_KEYS[o] for o in extended}

    ski = extension(theirs, x509.SubjectKeyIdentifier)
    assert extensions.get("subject_key_id") == (ski.digest.hex() if ski else None)
    aki = extension(theirs, x509.AuthorityKeyIdentifier)
    assert extensions.get("authority_key_id") == (
        aki.key_identifier.hex() if aki else None
    )

    san = extension(theirs, x509.SubjectAlternativeName)
    if san is None:
        assert "subject_alt_name" not in extensions
    else:
        names = extensions["subject_alt_name"]
        assert names.get("dns_names", []) == san.get_values_for_type(x509.DNSName)
        assert names.get("email_addresses", []) == san.get_values_for_type(
            x509.RFC822Name
        )
        assert names.get("ip_addresses", []) == [
            str(ip) for ip in san.get_values_for_type(x509.IPAddress)
        ]
        assert names.get("uniform_resource_identifiers", []) == (
            san.get_values_for_type(x509.UniformResourceIdentifier)
        )


def hashes_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize().hex()


def b64_int(text: str) -> int:
    return int.from_bytes(base64.b64decode(text), "big")


@pytest.mark.parametrize(
    ("which", "algorithm"),
    [
        ("root-rsa2048", "SHA256-RSA"),
        ("intermediate-p384-pathlen0", "SHA256-RSA"),
        ("leaf-p256-everything", "ECDSA-SHA384"),
        ("leaf-signed-rsa-pss", "SHA256-RSAPSS"),
    ],
)
def test_signature_algorithm_names(family, which: str, algorithm: str) -> None:
    text = format_text(parsed(family[which]))
    assert f"        Signature Algorithm: {algorithm}\n" in text
    assert f"\n    Signature Algorithm: {algorithm}\n" in text


def test_ed25519_and_ecdsa_sha256_names() -> None:
    root = issue("ed root", key=cached_key("ed-root", "ed25519"), ca=True)
    assert "Signature Algorithm: Ed25519\n" in format_text(parsed(root))
    leaf = issue("ec", issuer=issue("ec root", ca=True))
    assert "Signature Algorithm: ECDSA-SHA256\n" in format_text(parsed(leaf))


@pytest.mark.parametrize(
    ("which", "lines"),
    [
        pytest.param(
            "root-rsa2048",
            [
                "            Public Key Algorithm: RSA",
                "                Public-Key: (2048 bit)",
                "                Exponent: 65537 (0x10001)",
                "            X509v3 Basic Constraints: critical",
                "                CA:TRUE",
                "            X509v3 Key Usage: critical",
                "                Certificate Sign, CRL Sign",
            ],
            id="rsa-root",
        ),
        pytest.param(
            "intermediate-p384-pathlen0",
            [
                "        Issuer: O=Example,C=US,CN=Root RSA",
                "        Subject: O=Example,OU=PKI,CN=Intermediate P-384",
                "                Public-Key: (384 bit)",
                "                Curve: P-384",
                "                CA:TRUE, pathlen:0",
            ],
            id="p384-intermediate",
        ),
        pytest.param(
            "leaf-p256-everything",
            [
                "        Subject: O=Example,emailAddress=ops@example.com,CN=web.example",
                "            Public Key Algorithm: ECDSA",
                "                Curve: P-256",
                "                CA:FALSE",
                "                Digital Signature, Key Encipherment",
                "            X509v3 Extended Key Usage:",
                "                Server Authentication, Client Authentication",
                "            X509v3 Subject Alternative Name:",
                "                DNS:web.example, DNS:*.web.example",
                "                email:ops@example.com",
                "                IP Address:127.0.0.1, IP Address:2001:db8::1",
                "                URI:spiffe://example.org/web",
                "            X509v3 Step Provisioner:",
                "                Type: JWK",
                "                Name: Admin JWK",
                "                CredentialID: 0123456789abcdef",
                "                k: v",
            ],
            id="p256-leaf",
        ),
        pytest.param(
            "leaf-rsa3072-client",
            [
                "                Public-Key: (3072 bit)",
                "                Client Authentication, Code Signing",
            ],
            id="rsa3072-leaf",
        ),
        pytest.param(
            "leaf-ed25519-bare",
            [
                "            Public Key Algorithm: Ed25519",
                "                Public-Key: (256 bit)",
            ],
            id="ed25519-leaf",
        ),
    ],
)
def test_text_lines(family, which: str, lines: list[str]) -> None:
    text = format_text(parsed(family[which])).splitlines()
    for line in lines:
        assert line in text


def test_ski_and_aki_lines(family) -> None:
    issued = family["leaf-p256-everything"]
    text = format_text(parsed(issued))
    ski = extension(issued.cert, x509.SubjectKeyIdentifier).digest
    aki = extension(issued.cert, x509.AuthorityKeyIdentifier).key_identifier
    assert "                " + ski.hex(":").upper() + "\n" in text
    # step's certinfo prints the key identifier alone, without "keyid:".
    assert "                " + aki.hex(":").upper() + "\n" in text


def test_no_extensions_section_without_extensions() -> None:
    key = cached_key("bare", "p256")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("bare"))
        .issuer_name(name("bare"))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + DAY)
        .sign(key, hashes.SHA256())
    )
    text = format_text(parsed(Issued(cert, key)))
    assert "X509v3 extensions" not in text
    assert describe(parsed(Issued(cert, key)))["extensions"] == {}


# --- a known answer: Ed25519 signatures are deterministic --------------------

GOLDEN_TEXT = """\
Certificate:
    Data:
        Version: 3 (0x2)
        Serial Number: 4 (0x04)
        Signature Algorithm: Ed25519
        Issuer: O=Smallstep,CN=Golden Intermediate
        Validity
            Not Before: Dec 4 15:49:12 2026 UTC
            Not After : Dec 5 15:50:12 2026 UTC
        Subject: CN=golden.example
        Subject Public Key Info:
            Public Key Algorithm: Ed25519
                Public-Key: (256 bit)
                    {pub}
        X509v3 extensions:
            X509v3 Basic Constraints: critical
                CA:FALSE
            X509v3 Key Usage: critical
                Digital Signature
            X509v3 Extended Key Usage:
                Server Authentication, Client Authentication
            X509v3 Subject Alternative Name:
                DNS:golden.example
                IP Address:192.0.2.1
            X509v3 Subject Key Identifier:
                {ski}
            X509v3 Authority Key Identifier:
                {aki}
            X509v3 Step Provisioner:
                Type: JWK
                Name: admin@example.com
                CredentialID: 4KuGkW3ts3nT8f3jTeSs3eCVr7ajlVtDwmVaZQrfKSE
            1.3.6.1.4.1.99999.1: critical
                04:02:00:ff
    Signature Algorithm: Ed25519
{signature}"""


@pytest.fixture(scope="module")
def golden() -> Issued:
    issuer_key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    issuer = Issued(
        issue(name("Golden Intermediate", o="Smallstep"), key=issuer_key, ca=True).cert,
        issuer_key,
    )
    return issue(
        "golden.example",
        key=key,
        issuer=issuer,
        serial=4,
        not_before=NOW,
        not_after=NOW + DAY + datetime.timedelta(minutes=1),
        sans=["DNS:golden.example", "IP:192.0.2.1"],
        eku=SERVER_CLIENT,
        extensions=[
            provisioner(
                1, "admin@example.com", "4KuGkW3ts3nT8f3jTeSs3eCVr7ajlVtDwmVaZQrfKSE"
            ),
            (
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x04\x02\x00\xff"
                ),
                True,
            ),
        ],
    )


def test_golden_text(golden) -> None:
    cert = golden.cert
    pub = cert.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    pub_lines = [pub[:15].hex(":") + ":", pub[15:30].hex(":") + ":", pub[30:].hex(":")]
    signature = cert.signature
    sig_lines = [
        "         " + signature[i : i + 18].hex(":") + (":" if i + 18 < 64 else "")
        for i in range(0, 64, 18)
    ]
    expected = GOLDEN_TEXT.format(
        pub="\n                    ".join(pub_lines),
        ski=extension(cert, x509.SubjectKeyIdentifier).digest.hex(":").upper(),
        aki=extension(cert, x509.AuthorityKeyIdentifier)
        .key_identifier.hex(":")
        .upper(),
        signature="\n".join(sig_lines) + "\n",
    )
    assert format_text(parsed(golden)) == expected


def test_golden_short(golden) -> None:
    assert format_short(parsed(golden)) == (
        "X.509v3 TLS Certificate (Ed25519 256) [Serial: 4]\n"
        "  Subject:     golden.example\n"
        "               192.0.2.1\n"
        "  Issuer:      Golden Intermediate\n"
        "  Provisioner: admin@example.com [ID: 4KuG...fKSE]\n"
        "  Valid from:  2026-12-04T15:49:12Z\n"
        "          to:  2026-12-05T15:50:12Z\n"
    )


# --- the short form ----------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "first_line"),
    [
        ("root-rsa2048", "X.509v3 Root CA Certificate (RSA 2048) [Serial: "),
        (
            "intermediate-p384-pathlen0",
            "X.509v3 Intermediate CA Certificate (ECDSA P-384) [Serial: ",
        ),
        ("leaf-p256-everything", "X.509v3 TLS Certificate (ECDSA P-256) [Serial: "),
        ("leaf-ed25519-bare", "X.509v3 TLS Certificate (Ed25519 256) [Serial: "),
        ("no-basic-constraints", "X.509v3 TLS Certificate (ECDSA P-256) [Serial: "),
    ],
)
def test_short_kind_and_key(family, which: str, first_line: str) -> None:
    short = format_short(parsed(family[which]))
    assert short.startswith(first_line)
    serial = str(family[which].cert.serial_number)
    assert f"[Serial: {serial[:4]}...{serial[-4:]}]\n" in short


def test_short_lists_sans_once_after_the_subject(family) -> None:
    lines = format_short(parsed(family["leaf-p256-everything"])).splitlines()
    assert lines[1:7] == [
        "  Subject:     web.example",
        "               *.web.example",
        "               127.0.0.1",
        "               2001:db8::1",
        "               ops@example.com",
        "               spiffe://example.org/web",
    ]
    assert lines[7] == "  Issuer:      Intermediate P-384"
    assert lines[8] == "  Provisioner: Admin JWK [ID: 0123...cdef]"


def test_short_without_provisioner_or_subject() -> None:
    leaf = issue(x509.Name([]), sans=["DNS:only.example"], issuer=issue("CA", ca=True))
    lines = format_short(parsed(leaf)).splitlines()
    assert lines[1] == "  Subject:     only.example"
    assert not any(line.startswith("  Provisioner:") for line in lines)


def test_short_provisioner_without_credential_id() -> None:
    leaf = issue("x", extensions=[provisioner(6, "acme", "")])
    assert "  Provisioner: acme\n" in format_short(parsed(leaf))
    assert "CredentialID" not in format_text(parsed(leaf))


# --- the step provisioner extension ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "type_name"),
    [
        (1, "JWK"),
        (2, "OIDC"),
        (3, "GCP"),
        (4, "AWS"),
        (5, "Azure"),
        (6, "ACME"),
        (7, "X5C"),
        (8, "K8sSA"),
        (9, "SSHPOP"),
        (10, "SCEP"),
        (11, "Nebula"),
        (300, "300 (unknown)"),
    ],
)
def test_provisioner_types(kind: int, type_name: str) -> None:
    decoded = decode_provisioner_extension(provisioner_value(kind, "p", "id"))
    assert decoded.type == kind
    assert decoded.type_name == type_name


def test_provisioner_pairs_printable_and_utf8() -> None:
    pairs = ["acme", "https://ca/acme", "email", "ops@example.com", "odd"]
    leaf = issue("x", extensions=[provisioner(6, "acme", "id", pairs, critical=False)])
    found = provisioner_extension(parsed(leaf))
    assert found is not None
    assert found.key_value_pairs == tuple(pairs)
    text = format_text(parsed(leaf))
    assert "                acme: https://ca/acme\n" in text
    assert "                email: ops@example.com\n" in text
    assert "                odd: -\n" in text
    assert describe(parsed(leaf))["extensions"]["step_provisioner"] == {
        "type": "ACME",
        "name": "acme",
        "credential_id": "id",
        "key_value_pairs": pairs,
    }


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"\x30\x00", id="empty-sequence"),
        pytest.param(provisioner_value(1, "a", "b") + b"\x00", id="trailing-bytes"),
        pytest.param(b"\x30\x06\x02\x01\x01\x0c\x01a", id="missing-credential-id"),
        pytest.param(
            b"\x30\x0b\x02\x01\x01\x04\x01a\x04\x01b\x30\x03\x02\x01\x05",
            id="pair-not-a-string",
        ),
        pytest.param(b"\x04\x00", id="not-a-sequence"),
    ],
)
def test_malformed_provisioner_extension(value: bytes) -> None:
    with pytest.raises(
        CertificateError, match="step provisioner extension is malformed"
    ):
        decode_provisioner_extension(value)
    leaf = issue(
        "x", extensions=[(x509.UnrecognizedExtension(PROVISIONER_OID, value), False)]
    )
    cert = parsed(leaf)
    assert provisioner_extension(cert) is None
    assert f"{OID_STEP_PROVISIONER} (malformed step provisioner):" in format_text(cert)
    unknown = describe(cert)["unknown_extensions"]
    assert unknown == [
        {
            "id": OID_STEP_PROVISIONER,
            "critical": False,
            "value": base64.b64encode(value).decode(),
            "hex": value.hex(),
        }
    ]
    assert "Provisioner:" not in format_short(cert)


# --- other extensions --------------------------------------------------------


def test_other_known_extensions() -> None:
    leaf = issue(
        "x",
        issuer=issue("CA", ca=True),
        extensions=[
            (
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [
                                x509.UniformResourceIdentifier(
                                    "http://crl.example/ca.crl"
                                )
                            ],
                            None,
                            None,
                            None,
                        )
                    ]
                ),
                False,
            ),
            (
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier("http://ocsp.example"),
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier("http://ca.example/ca.crt"),
                        ),
                    ]
                ),
                False,
            ),
            (
                x509.CertificatePolicies(
                    [
                        x509.PolicyInformation(
                            x509.ObjectIdentifier("2.23.140.1.2.1"), None
                        )
                    ]
                ),
                False,
            ),
            (
                x509.NameConstraints(
                    permitted_subtrees=[
                        x509.DNSName("example.com"),
                        x509.IPAddress(ipaddress.ip_network("10.0.0.0/8")),
                    ],
                    excluded_subtrees=[x509.DNSName("bad.example.com")],
                ),
                True,
            ),
        ],
    )
    text = format_text(parsed(leaf))
    for line in [
        "            X509v3 CRL Distribution Points:",
        "                Full Name:",
        "                  URI:http://crl.example/ca.crl",
        "            Authority Information Access:",
        "                OCSP - URI:http://ocsp.example",
        "                CA Issuers - URI:http://ca.example/ca.crt",
        "            X509v3 Certificate Policies:",
        "                Policy: 2.23.140.1.2.1",
        "            X509v3 Name Constraints: critical",
        "                Permitted:",
        "                  DNS: example.com",
        "                  IP Range: 10.0.0.0/8",
        "                Excluded:",
        "                  DNS: bad.example.com",
    ]:
        assert line + "\n" in text
    extensions = describe(parsed(leaf))["extensions"]
    assert extensions["crl_distribution_points"] == ["http://crl.example/ca.crl"]
    assert extensions["authority_info_access"] == {
        "ocsp_urls": ["http://ocsp.example"],
        "issuer_urls": ["http://ca.example/ca.crt"],
    }
    assert extensions["certificate_policies"] == [{"id": "2.23.140.1.2.1"}]


def test_unknown_extension_shows_oid_critical_and_hex() -> None:
    value = bytes(range(40))
    leaf = issue(
        "x",
        extensions=[
            (
                x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4.5"), value),
                True,
            )
        ],
    )
    text = format_text(parsed(leaf))
    assert "            1.2.3.4.5: critical\n" in text
    assert "                " + value[:18].hex(":") + ":\n" in text
    assert "                " + value[36:].hex(":") + "\n" in text
    assert describe(parsed(leaf))["unknown_extensions"] == [
        {
            "id": "1.2.3.4.5",
            "critical": True,
            "value": base64.b64encode(value).decode(),
            "hex": value.hex(),
        }
    ]


def test_serial_and_date_formats() -> None:
    leaf = issue(
        "x",
        serial=0x00FF00,
        not_before=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        not_after=datetime.datetime(2026, 11, 22, 23, 59, 59, tzinfo=datetime.UTC),
    )
    text = format_text(parsed(leaf))
    assert "        Serial Number: 65280 (0xff00)\n" in text
    assert "            Not Before: Jan 2 03:04:05 2026 UTC\n" in text
    assert "            Not After : Nov 22 23:59:59 2026 UTC\n" in text


# --- inspect -----------------------------------------------------------------


def test_inspect_formats(family) -> None:
    leaf = family["leaf-p256-everything"]
    inter = family["intermediate-p384-pathlen0"]
    data = leaf.pem + inter.pem
    assert inspect(data, source="b.crt") == format_text(parsed(leaf))
    assert inspect(data, source="b.crt", format="short") == format_short(parsed(leaf))
    both = inspect(data, source="b.crt", format="short", bundle=True)
    assert both == format_short(parsed(leaf)) + "\n" + format_short(parsed(inter))
    assert json.loads(inspect(data, source="b.crt", format="json")) == describe(
        parsed(leaf)
    )
    listed = json.loads(inspect(data, source="b.crt", format="json", bundle=True))
    assert [item["subject_dn"] for item in listed] == [
        describe(parsed(leaf))["subject_dn"],
        describe(parsed(inter))["subject_dn"],
    ]
    assert inspect(data, source="b.crt", format="pem") == leaf.pem.decode()
    assert inspect(data, source="b.crt", format="pem", bundle=True) == data.decode()


def test_inspect_refuses_unknown_format_and_bad_files() -> None:
    with pytest.raises(InputError, match="format 'yaml' is not one of"):
        inspect(b"", source="x", format="yaml")
    with pytest.raises(InputError, match="^x.crt: empty file$"):
        inspect(b"", source="x.crt")


def test_inspect_csr() -> None:
    from stepwasm_core.crypto import keys
    from stepwasm_core.csr import build_csr

    key = keys.generate_key("EC", "P-256")
    der = build_csr(key, "req.example", ["req.example", "10.1.2.3", "a@b.example"])
    data = to_pem("CERTIFICATE REQUEST", der)
    text = inspect(data, source="r.csr")
    assert text.startswith(
        "Certificate Request:\n    Data:\n        Version: 0 (0x0)\n"
    )
    assert "        Subject: CN=req.example\n" in text
    assert "        Requested Extensions:\n" in text
    assert "                DNS:req.example\n" in text
    assert "                IP Address:10.1.2.3\n" in text
    assert "    Signature Algorithm: ECDSA-SHA256\n" in text
    assert inspect(data, source="r.csr", format="short") == (
        "X.509v3 Certificate Signing Request (ECDSA P-256)\n"
        "  Subject:     req.example\n"
        "               10.1.2.3\n"
        "               a@b.example\n"
        "  Signature:   valid\n"
    )
    assert text.endswith("\n    Signature: valid\n")
    described = json.loads(inspect(data, source="r.csr", format="json"))
    assert described["signature"]["valid"] is True
    assert described["subject_dn"] == "CN=req.example"
    assert described["extensions"]["subject_alt_name"]["ip_addresses"] == ["10.1.2.3"]
    assert inspect(data, source="r.csr", format="pem") == data.decode()


def test_formatters_guard_against_asn1_errors(family) -> None:
    cert = parsed(family["leaf-p256-everything"])
    # A certificate built in memory with a broken field fails cleanly.
    broken = cert.copy()
    broken["tbs_certificate"]["subject_public_key_info"][
        "public_key"
    ].contents = b"\x00\x04"
    try:
        format_text(broken)
    except CertificateError:
        pass


# --- untrusted text ----------------------------------------------------------


def test_control_characters_are_escaped() -> None:
    evil = "evil\x1b[2J\nname\u202e"
    leaf = issue(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, evil)]),
        sans=["DNS:ok.example"],
        extensions=[provisioner(1, "bad\x07name", "id\r\n")],
    )
    cert = parsed(leaf)
    text = format_text(cert)
    assert "        Subject: CN=evil\\x1b[2J\\x0aname\\u202e\n" in text
    assert "                Name: bad\\x07name\n" in text
    assert "                CredentialID: id\\x0d\\x0a\n" in text
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    short = format_short(cert)
    assert "  Subject:     evil\\x1b[2J\\x0aname\\u202e\n" in short
    assert "\x1b" not in short


def test_other_name_san_shows_type_and_inner_value() -> None:
    leaf = issue(
        "x",
        extensions=[
            (
                x509.SubjectAlternativeName(
                    [
                        x509.OtherName(
                            x509.ObjectIdentifier("1.3.6.1.5.5.7.8.3"), b"\x0c\x02hi"
                        )
                    ]
                ),
                False,
            )
        ],
    )
    assert (
        "                OtherName: Type: 1.3.6.1.5.5.7.8.3, Value: 0x0c026869\n"
        in (format_text(parsed(leaf)))
    )


def test_inspect_der_csr_and_der_garbage() -> None:
    from stepwasm_core.crypto import keys
    from stepwasm_core.csr import build_csr

    der = build_csr(keys.generate_key("EC", "P-256"), "der.example", [])
    assert inspect(der, source="r.der", format="short") == (
        "X.509v3 Certificate Signing Request (ECDSA P-256)\n  Subject:     der.example\n"
        "  Signature:   valid\n"
    )
    with pytest.raises(InputError, match=r"^g\.der: not a certificate: "):
        inspect(b"\x30\x03\x02\x01\x05", source="g.der")
