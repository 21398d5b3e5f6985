"""PEM blocks and certificate loading: good files, and exact errors for bad ones."""

from __future__ import annotations

import random

import pytest
from stepwasm_core.errors import InputError
from stepwasm_core.pem import load_certificates, parse_pem_blocks, to_pem

from .pki import issue

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def leaf():
    return issue("leaf.example", sans=["DNS:leaf.example"])


@pytest.fixture(scope="module")
def other():
    return issue("other.example")


def test_to_pem_round_trip() -> None:
    der = bytes(range(256)) * 2
    pem = to_pem("CERTIFICATE", der)
    lines = pem.decode().splitlines()
    assert lines[0] == "-----BEGIN CERTIFICATE-----"
    assert lines[-1] == "-----END CERTIFICATE-----"
    assert all(len(line) <= 64 for line in lines[1:-1])
    assert len(lines[1]) == 64
    assert parse_pem_blocks(pem) == [("CERTIFICATE", der)]


def test_to_pem_matches_cryptography(leaf) -> None:
    assert to_pem("CERTIFICATE", leaf.der) == leaf.pem


def test_blocks_in_order_with_text_around() -> None:
    data = (
        b"subject=CN = x\nissuer=CN = y\r\n"
        + to_pem("CERTIFICATE", b"\x01\x02")
        + b"Bag Attributes\n  friendlyName: foo\n"
        + to_pem("PRIVATE KEY", b"\x03").replace(b"\n", b"\r\n")
        + b"trailing words\n"
    )
    assert parse_pem_blocks(data) == [
        ("CERTIFICATE", b"\x01\x02"),
        ("PRIVATE KEY", b"\x03"),
    ]


def test_rfc1421_headers_are_skipped() -> None:
    data = (
        b"-----BEGIN RSA PRIVATE KEY-----\n"
        b"Proc-Type: 4,ENCRYPTED\n"
        b"DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n"
        b"\n"
        b"AQID\n"
        b"-----END RSA PRIVATE KEY-----\n"
    )
    assert parse_pem_blocks(data) == [("RSA PRIVATE KEY", b"\x01\x02\x03")]


def test_load_one_pem(leaf) -> None:
    [cert] = load_certificates(leaf.pem, source="web.crt")
    assert cert.dump() == leaf.der


def test_load_bundle_keeps_order(leaf, other) -> None:
    certs = load_certificates(b"# chain\n" + leaf.pem + other.pem, source="chain.crt")
    assert [c.dump() for c in certs] == [leaf.der, other.der]


def test_load_der(leaf) -> None:
    [cert] = load_certificates(leaf.der, source="web.der")
    assert cert.dump() == leaf.der


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "web.crt: empty file", id="empty"),
        pytest.param(b" \n\t\n", "web.crt: empty file", id="whitespace-only"),
        pytest.param(b"hello world\n", "web.crt: no PEM block found", id="text"),
        pytest.param(
            b"-----BEGIN CERTIFICATE----- inline\n",
            "web.crt: no PEM block found",
            id="begin-not-on-its-own-line",
        ),
        pytest.param(
            b"-----BEGIN CERTIFICATE-----\nAQID\n",
            "web.crt: PEM block 1 has no END line",
            id="no-end",
        ),
        pytest.param(
            b"-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n",
            "web.crt: PEM block 1 begins with 'CERTIFICATE' but ends with "
            "'PRIVATE KEY'",
            id="mismatched-end",
        ),
        pytest.param(
            b"-----BEGIN CERTIFICATE-----\nAQ!D\n-----END CERTIFICATE-----\n",
            "web.crt: bad base64 in PEM block 1",
            id="bad-base64-char",
        ),
        pytest.param(
            b"-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----\n",
            "web.crt: bad base64 in PEM block 1",
            id="bad-base64-padding",
        ),
        pytest.param(
            b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            "web.crt: PEM block 1 is empty",
            id="empty-block",
        ),
    ],
)
def test_pem_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_certificates(data, source="web.crt")
    assert str(caught.value) == message


def test_wrong_label_in_second_block(leaf) -> None:
    data = leaf.pem + to_pem("PRIVATE KEY", b"\x30\x00")
    with pytest.raises(InputError) as caught:
        load_certificates(data, source="web.crt")
    assert str(caught.value) == (
        "web.crt: PEM block 2 has label 'PRIVATE KEY', expected CERTIFICATE"
    )


def test_bad_base64_in_second_block(leaf) -> None:
    data = leaf.pem + b"-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n"
    with pytest.raises(InputError) as caught:
        load_certificates(data, source="web.crt")
    assert str(caught.value) == "web.crt: bad base64 in PEM block 2"


def test_garbage_in_a_certificate_block() -> None:
    with pytest.raises(InputError) as caught:
        load_certificates(to_pem("CERTIFICATE", b"\x01\x02\x03"), source="web.crt")
    assert str(caught.value).startswith("web.crt: not a certificate: ")


def test_second_block_malformed_names_the_block(leaf) -> None:
    data = leaf.pem + to_pem("CERTIFICATE", leaf.der[:-10])
    with pytest.raises(InputError) as caught:
        load_certificates(data, source="web.crt")
    assert str(caught.value).startswith("web.crt: PEM block 2: not a certificate: ")


@pytest.mark.parametrize("cut", [1, 2, 10, 100, -1], ids=lambda c: f"cut-{c}")
def test_truncated_der(leaf, cut: int) -> None:
    with pytest.raises(InputError) as caught:
        load_certificates(leaf.der[:cut], source="web.der")
    assert str(caught.value).startswith("web.der: not a certificate: ")


def test_trailing_bytes_after_der(leaf) -> None:
    with pytest.raises(InputError, match=r"^web\.der: not a certificate: "):
        load_certificates(leaf.der + b"\x00", source="web.der")


def test_a_csr_is_not_a_certificate() -> None:
    # A structurally valid DER object of another kind: the SPKI of a key.
    from cryptography.hazmat.primitives import serialization

    spki = (
        issue("x")
        .key.public_key()
        .public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(InputError, match=r"^k\.der: not a certificate: "):
        load_certificates(spki, source="k.der")


def _mutations(der: bytes, count: int) -> list[bytes]:
    rng = random.Random(5280)
    mutated = []
    for _ in range(count):
        data = bytearray(der)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        mutated.append(bytes(data))
    return mutated


def test_random_corruption_never_escapes_as_a_traceback(leaf) -> None:
    """Flipped bytes either still parse or raise InputError, nothing else."""
    for data in _mutations(leaf.der, 400):
        try:
            load_certificates(data, source="fuzz.der")
        except InputError:
            pass


def test_random_noise_raises_input_error() -> None:
    rng = random.Random(7468)
    for size in (1, 2, 5, 64, 700):
        noise = bytes(rng.randrange(256) for _ in range(size))
        with pytest.raises(InputError):
            load_certificates(b"\x30" + noise, source="noise.bin")


def test_duplicate_extension_is_refused(leaf) -> None:
    from asn1crypto import x509 as asn1_x509

    [cert] = load_certificates(leaf.der, source="web.crt")
    tbs = cert["tbs_certificate"]
    extensions = list(tbs["extensions"])
    doubled = asn1_x509.Certificate(
        {
            "tbs_certificate": asn1_x509.TbsCertificate(
                {
                    **{
                        key: tbs[key]
                        for key in (
                            "version",
                            "serial_number",
                            "signature",
                            "issuer",
                            "validity",
                            "subject",
                            "subject_public_key_info",
                        )
                    },
                    "extensions": [*extensions, extensions[-1]],
                }
            ),
            "signature_algorithm": cert["signature_algorithm"],
            "signature_value": cert["signature_value"].native,
        }
    )
    oid = extensions[-1]["extn_id"].dotted
    with pytest.raises(InputError) as caught:
        load_certificates(doubled.dump(), source="web.crt")
    assert str(caught.value) == (
        f"web.crt: not a certificate: extension {oid} appears twice"
    )
