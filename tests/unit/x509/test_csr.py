"""CSRs we build parse and verify in `cryptography`, with SANs typed as step types them."""

from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID, NameOID
from stepwasm_core.crypto import keys
from stepwasm_core.csr import (
    _classify,
    build_csr,
    check_csr_signature,
    parse_csr,
    split_sans,
)
from stepwasm_core.errors import InputError, InvalidSignature
from stepwasm_core.pem import to_pem

from .pki import cached_key

pytestmark = pytest.mark.unit


def our_key(kind: str) -> keys.PrivateKey:
    """A key of ours, made by `cryptography` and loaded through the crypto module."""
    return keys.load_private_key(
        cached_key(f"csr-{kind}", kind).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def sans_of(request: x509.CertificateSigningRequest) -> x509.SubjectAlternativeName:
    return request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa2048", "ed25519"])
def test_csr_verifies_in_cryptography(kind: str) -> None:
    der = build_csr(our_key(kind), "foo.example", ["foo.example", "10.0.0.1"])
    request = x509.load_der_x509_csr(der)
    assert request.is_signature_valid
    assert request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "foo.example"
    )
    assert [e.oid for e in request.extensions] == [
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME
    ]
    assert not request.extensions[0].critical
    check_csr_signature(parse_csr(der))


def test_sans_typed_as_step_types_them() -> None:
    sans = [
        "foo.example",
        "*.wild.example",
        "127.0.0.1",
        "::1",
        "2001:db8::7",
        "::ffff:192.0.2.1",
        "jane@example.com",
        "spiffe://example.org/workload",
        "mailto:jane@example.com",
        "urn:uuid:9d2c6b5e-0000-4000-8000-000000000000",
        "user:pass@host",
        "localhost:8080",
        "under_score.example",
    ]
    request = x509.load_der_x509_csr(build_csr(our_key("p256"), "cn", sans))
    names = sans_of(request)
    assert names.get_values_for_type(x509.DNSName) == [
        "foo.example",
        "*.wild.example",
        "under_score.example",
    ]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
        ipaddress.ip_address("2001:db8::7"),
        # Go marshals an IPv4-mapped address in its 4-byte form.
        ipaddress.ip_address("192.0.2.1"),
    ]
    assert names.get_values_for_type(x509.RFC822Name) == ["jane@example.com"]
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == [
        "spiffe://example.org/workload",
        "mailto:jane@example.com",
        "urn:uuid:9d2c6b5e-0000-4000-8000-000000000000",
        "user:pass@host",
        "localhost:8080",
    ]


def test_san_order_is_go_order() -> None:
    der = build_csr(our_key("p256"), "cn", ["https://x", "1.2.3.4", "a@b", "d.example"])
    kinds = [type(name).__name__ for name in sans_of(x509.load_der_x509_csr(der))]
    assert kinds == ["DNSName", "RFC822Name", "IPAddress", "UniformResourceIdentifier"]


@pytest.mark.parametrize(
    ("san", "kind"),
    [
        pytest.param("1.2.3.4", "ip", id="ipv4"),
        pytest.param("01.2.3.4", "dns", id="ipv4-leading-zero-is-not-an-ip"),
        pytest.param("fe80::1%eth0", "dns", id="ipv6-zone-is-not-an-ip"),
        pytest.param("[::1]", "dns", id="bracketed-is-not-an-ip"),
        pytest.param("a@b.example", "email", id="email"),
        pytest.param("http://a@b", "uri", id="uri-with-at"),
        pytest.param("http://x/%zz", "dns", id="bad-escape-is-not-a-uri"),
        pytest.param("1http://x", "dns", id="scheme-must-start-with-a-letter"),
        pytest.param(":foo", "dns", id="empty-scheme"),
        pytest.param("host.example", "dns", id="dns"),
    ],
)
def test_sans_are_typed_as_step_types_them(san: str, kind: str) -> None:
    assert _classify(san)[0] == kind


@pytest.mark.parametrize(
    "san",
    [
        "fe80::1%eth0",
        "[::1]",
        "http://x/%zz",
        ":foo",
        "bad name!!",
        "-a.example",
    ],
)
def test_a_san_typed_dns_must_be_a_dns_name(san: str) -> None:
    with pytest.raises(InputError) as caught:
        split_sans([san])
    assert str(caught.value) == (
        f"SAN {san!r} is not a valid DNS name (dot-separated labels of letters, "
        "digits, '-' and '_')"
    )


@pytest.mark.parametrize(
    "san", ["01.2.3.4", "web-1.internal", "*.a.example", "my_service.internal"]
)
def test_dns_names_as_step_ca_issues_them(san: str) -> None:
    assert split_sans([san])["dns"] == [san]


def test_duplicates_dropped_order_kept() -> None:
    assert split_sans(["b", "a", "b", "1.2.3.4", "1.2.3.4"]) == {
        "dns": ["b", "a"],
        "ip": [bytes([1, 2, 3, 4])],
        "email": [],
        "uri": [],
    }


def test_no_sans_no_extension_request() -> None:
    request = x509.load_der_x509_csr(build_csr(our_key("p256"), "only-cn", []))
    assert request.is_signature_valid
    assert len(request.extensions) == 0
    assert len(request.attributes) == 0


def test_empty_subject_makes_san_critical() -> None:
    request = x509.load_der_x509_csr(build_csr(our_key("p256"), "", ["a.example"]))
    assert request.is_signature_valid
    assert len(request.subject) == 0
    assert request.extensions[0].critical


@pytest.mark.parametrize(
    ("sans", "message"),
    [
        pytest.param([""], "SAN is empty", id="empty"),
        pytest.param(["  "], "SAN is empty", id="blank"),
        pytest.param(
            ["bücher.example"],
            "SAN 'bücher.example' cannot be encoded",
            id="non-ascii-dns",
        ),
        pytest.param(["jü@example.com"], "cannot be encoded", id="non-ascii-email"),
    ],
)
def test_bad_sans(sans: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_csr(our_key("p256"), "cn", sans)


def test_parse_csr_pem_and_der() -> None:
    der = build_csr(our_key("p256"), "cn", ["a.example"])
    assert parse_csr(der).dump() == der
    assert parse_csr(to_pem("CERTIFICATE REQUEST", der)).dump() == der
    assert parse_csr(to_pem("NEW CERTIFICATE REQUEST", der)).dump() == der


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "req.csr: empty file", id="empty"),
        pytest.param(b"junk", "req.csr: no PEM block found", id="junk"),
        pytest.param(
            to_pem("CERTIFICATE", b"\x30\x00"),
            "req.csr: PEM block 1 has label 'CERTIFICATE', expected CERTIFICATE REQUEST",
            id="wrong-label",
        ),
        pytest.param(
            b"\x30\x03\x02\x01", "req.csr: not a certificate request: ", id="truncated"
        ),
    ],
)
def test_parse_csr_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_csr(data, source="req.csr")
    assert str(caught.value).startswith(message)


def test_tampered_csr_signature_fails() -> None:
    der = bytearray(build_csr(our_key("p256"), "cn", ["a.example"]))
    index = der.find(b"a.example")
    der[index] = ord("b")
    with pytest.raises(InvalidSignature):
        check_csr_signature(parse_csr(bytes(der)))
    assert not x509.load_der_x509_csr(bytes(der)).is_signature_valid


@pytest.mark.parametrize(
    ("kty", "curve"), [("EC", "P-256"), ("EC", "P-384"), ("OKP", "Ed25519")]
)
def test_csr_of_generated_key_is_for_that_key(kty: str, curve: str) -> None:
    key = keys.generate_key(kty, curve)
    request = x509.load_der_x509_csr(build_csr(key, "cn", ["a.example"]))
    assert request.is_signature_valid
    assert (
        request.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == key.public_key().spki_der()
    )


@pytest.mark.parametrize("san", ["x@", "@y.example", "a@b@", "a@-b.example"])
def test_a_san_typed_email_must_be_an_address(san: str) -> None:
    with pytest.raises(InputError) as caught:
        split_sans([san])
    assert str(caught.value) == f"SAN {san!r} is not a valid email address"


def test_email_sans() -> None:
    assert split_sans(["jane@example.com", "j.doe+ca@mail.example"])["email"] == [
        "jane@example.com",
        "j.doe+ca@mail.example",
    ]
