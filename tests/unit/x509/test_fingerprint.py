"""Fingerprints: step's hex form, other encodings, and normalizing user input."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from stepwasm_core.errors import InputError
from stepwasm_core.fingerprint import ENCODINGS, fingerprint, normalize_fingerprint

from .pki import issue

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def cert():
    return issue("root", ca=True)


def test_sha256_hex_matches_cryptography(cert) -> None:
    assert fingerprint(cert.der) == cert.cert.fingerprint(hashes.SHA256()).hex()


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_algorithms(cert, algorithm: str) -> None:
    assert (
        fingerprint(cert.der, algorithm) == hashlib.new(algorithm, cert.der).hexdigest()
    )


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("hex", lambda d: d.hex()),
        ("base64", lambda d: base64.standard_b64encode(d).decode()),
        ("base64-url", lambda d: base64.urlsafe_b64encode(d).decode()),
        ("base64-raw", lambda d: base64.standard_b64encode(d).decode().rstrip("=")),
        ("base64-url-raw", lambda d: base64.urlsafe_b64encode(d).decode().rstrip("=")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_encodings(cert, encoding: str, expected) -> None:
    assert encoding in ENCODINGS
    assert fingerprint(cert.der, encoding=encoding) == expected(
        hashlib.sha256(cert.der).digest()
    )


def test_unknown_algorithm_and_encoding(cert) -> None:
    with pytest.raises(
        InputError, match="fingerprint algorithm 'md5' is not supported"
    ):
        fingerprint(cert.der, "md5")
    with pytest.raises(
        InputError, match="fingerprint encoding 'emoji' is not supported"
    ):
        fingerprint(cert.der, encoding="emoji")


DIGEST = bytes(range(32))
HEX = DIGEST.hex()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(HEX, id="lower-hex"),
        pytest.param(HEX.upper(), id="upper-hex"),
        pytest.param(":".join(HEX[i : i + 2] for i in range(0, 64, 2)), id="colons"),
        pytest.param(" ".join(HEX[i : i + 2] for i in range(0, 64, 2)), id="spaces"),
        pytest.param(f"  {HEX}\n", id="surrounding-whitespace"),
        pytest.param(base64.standard_b64encode(DIGEST).decode(), id="base64"),
        pytest.param(base64.urlsafe_b64encode(DIGEST).decode(), id="base64-url"),
        pytest.param(base64.standard_b64encode(DIGEST).decode().rstrip("="), id="raw"),
    ],
)
def test_normalize_accepts(text: str) -> None:
    assert normalize_fingerprint(text) == HEX


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "fingerprint is empty", id="empty"),
        pytest.param(" : ", "fingerprint is empty", id="only-separators"),
        pytest.param(
            "abcd", "has 4 hex digits, a SHA-256 fingerprint has 64", id="short"
        ),
        pytest.param(HEX + "00", "has 66 hex digits", id="long"),
        pytest.param(HEX[:-1] + "g", "has a non-hex character 'g'", id="non-hex"),
        pytest.param(
            base64.standard_b64encode(DIGEST[:20]).decode(),
            "decodes to 20 bytes, a SHA-256 fingerprint has 32",
            id="sha1-in-base64",
        ),
        pytest.param("not a fingerprint!", "is neither hex nor base64", id="noise"),
    ],
)
def test_normalize_refuses(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        normalize_fingerprint(text)
