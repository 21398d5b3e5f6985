"""PBKDF2 and HMAC: Wycheproof, RFC 6070, and hashlib's OpenSSL as an oracle."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from stepwasm_core.crypto import pbkdf2
from stepwasm_core.crypto._hashes import hmac_digest
from stepwasm_core.errors import CryptoError

from .wycheproof import cases, check_count, need

pytestmark = pytest.mark.unit

PBKDF2_FILE = "pbkdf2_hmacsha256_test.json"
HMAC_FILE = "hmac_sha256_test.json"


@pytest.mark.parametrize("name", [PBKDF2_FILE, HMAC_FILE])
def test_wycheproof_file_holds_every_test(name: str) -> None:
    check_count(name)


@pytest.mark.parametrize("case", cases(PBKDF2_FILE))
def test_pbkdf2_wycheproof(case) -> None:
    case = need(case)
    assert case.result == "valid", case.why()  # the file has only valid cases
    t = case.test
    derived = pbkdf2.pbkdf2_hmac(
        "sha256",
        case.hex("password"),
        case.hex("salt"),
        t["iterationCount"],
        t["dkLen"],
    )
    assert derived == case.hex("dk"), case.why()


def _mac_checks(key: bytes, message: bytes, tag: bytes) -> list[bool]:
    """Compare a (possibly truncated) tag through both HMAC paths of the core."""
    one_shot = hmac_digest("sha256", key, message)
    inner, outer = pbkdf2._keyed_states(hashlib.sha256, key)
    keyed = pbkdf2._hmac(inner, outer, message)
    return [hmac.compare_digest(mac[: len(tag)], tag) for mac in (one_shot, keyed)]


@pytest.mark.parametrize("case", cases(HMAC_FILE))
def test_hmac_sha256_wycheproof(case) -> None:
    case = need(case)
    tag = case.hex("tag")
    assert len(tag) * 8 == case.group["tagSize"]
    matches = _mac_checks(case.hex("key"), case.hex("msg"), tag)
    if case.result == "valid":
        assert matches == [True, True], case.why()
    else:
        assert matches == [False, False], case.why()


# RFC 6070 (PBKDF2-HMAC-SHA1), the cases that run quickly.
RFC6070 = [
    (b"password", b"salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
    (b"password", b"salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
    (b"password", b"salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"),
    (
        b"passwordPASSWORDpassword",
        b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
        4096,
        25,
        "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
    ),
    (b"pass\x00word", b"sa\x00lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"),
]


@pytest.mark.parametrize(
    ("password", "salt", "iterations", "dklen", "expected"),
    RFC6070,
    ids=[f"rfc6070-{i + 1}" for i in range(len(RFC6070))],
)
def test_pbkdf2_sha1_rfc6070(password, salt, iterations, dklen, expected) -> None:
    derived = pbkdf2.pbkdf2_hmac("sha1", password, salt, iterations, dklen)
    assert derived.hex() == expected


@pytest.mark.parametrize("hash_name", ["sha1", "sha224", "sha256", "sha384", "sha512"])
@pytest.mark.parametrize(
    ("password", "dklen"),
    [(b"", 16), (b"pw", 32), (b"p" * 64, 33), (b"p" * 200, 100)],
    ids=["empty-password", "short", "block-sized", "longer-than-block"],
)
def test_pbkdf2_agrees_with_openssl(hash_name, password, dklen) -> None:
    salt = b"NaCl and more salt"
    expected = hashlib.pbkdf2_hmac(hash_name, password, salt, 1000, dklen)
    assert pbkdf2.pbkdf2_hmac(hash_name, password, salt, 1000, dklen) == expected


@pytest.mark.parametrize(
    ("hash_name", "iterations", "dklen", "message"),
    [
        ("md5", 1, 16, "unsupported hash md5"),
        ("sha256", 0, 16, "iteration count 0 is out of range"),
        ("sha256", 10**8, 16, "out of range"),
        ("sha256", 1, 0, "key length must be a positive integer"),
        ("sha256", True, 16, "iteration count must be an integer"),
    ],
    ids=["unknown-hash", "zero-iterations", "too-many-iterations", "no-length", "bool"],
)
def test_pbkdf2_refuses_bad_arguments(hash_name, iterations, dklen, message) -> None:
    with pytest.raises(CryptoError, match=message):
        pbkdf2.pbkdf2_hmac(hash_name, b"pw", b"salt", iterations, dklen)
