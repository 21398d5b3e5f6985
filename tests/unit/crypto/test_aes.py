"""AES key wrap and AES-GCM: Wycheproof, RFC 3394, and cryptography as an oracle."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from stepwasm_core.crypto import aesgcm, aeskw
from stepwasm_core.crypto._aes import AES
from stepwasm_core.errors import CryptoError, DecryptionError

from .wycheproof import cases, check_count, need

pytestmark = pytest.mark.unit

WRAP_FILE = "aes_wrap_test.json"
GCM_FILE = "aes_gcm_test.json"

# Acceptable AES-KW cases and what we do with them. RFC 3394 wraps at least two
# 64-bit blocks; an 8-byte key (one block) is refused on both sides.
WRAP_POLICY = {"ShortKey": "refuse"}


@pytest.mark.parametrize("name", [WRAP_FILE, GCM_FILE])
def test_wycheproof_file_holds_every_test(name: str) -> None:
    check_count(name)


@pytest.mark.parametrize("case", cases(WRAP_FILE))
def test_aes_key_wrap_wycheproof(case) -> None:
    case = need(case)
    kek, key, wrapped = case.hex("key"), case.hex("msg"), case.hex("ct")
    expect = case.result
    if expect == "acceptable":
        (flag,) = case.flags
        expect = {"refuse": "invalid", "accept": "valid"}[WRAP_POLICY[flag]]

    if expect == "valid":
        assert aeskw.wrap(kek, key) == wrapped, case.why()
        assert aeskw.unwrap(kek, wrapped) == key, case.why()
        return
    with pytest.raises(DecryptionError):
        aeskw.unwrap(kek, wrapped)
    # Keys that cannot be wrapped at all (empty, not a multiple of 8, one
    # block) are refused by wrap too.
    if len(key) < 16 or len(key) % 8:
        with pytest.raises(CryptoError):
            aeskw.wrap(kek, key)


# RFC 3394 section 4: (KEK, key data, wrapped).
RFC3394 = {
    "4.1-128kek-128key": (
        "000102030405060708090A0B0C0D0E0F",
        "00112233445566778899AABBCCDDEEFF",
        "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5",
    ),
    "4.6-256kek-256key": (
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
        (
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326"
            "CBC7F0E71A99F43BFB988B9B7A02DD21"
        ),
    ),
}


@pytest.mark.parametrize(("kek", "key", "wrapped"), RFC3394.values(), ids=RFC3394)
def test_aes_key_wrap_rfc3394(kek: str, key: str, wrapped: str) -> None:
    kek_b, key_b, wrapped_b = (bytes.fromhex(v) for v in (kek, key, wrapped))
    assert aeskw.wrap(kek_b, key_b) == wrapped_b
    assert aeskw.unwrap(kek_b, wrapped_b) == key_b


@pytest.mark.parametrize("kek_size", [16, 24, 32])
@pytest.mark.parametrize("key_size", [16, 24, 32, 64])
def test_aes_key_wrap_agrees_with_cryptography(kek_size: int, key_size: int) -> None:
    kek, key = os.urandom(kek_size), os.urandom(key_size)
    wrapped = aeskw.wrap(kek, key)
    assert wrapped == keywrap.aes_key_wrap(kek, key)
    assert aeskw.unwrap(kek, wrapped) == key


def test_aes_key_unwrap_refuses_a_wrong_kek() -> None:
    wrapped = aeskw.wrap(b"k" * 16, b"secret key bytes")
    with pytest.raises(DecryptionError, match="integrity check"):
        aeskw.unwrap(b"K" * 16, wrapped)


def test_aes_refuses_a_bad_kek_size() -> None:
    with pytest.raises(CryptoError, match="16, 24 or 32 bytes, not 20"):
        aeskw.wrap(b"k" * 20, b"x" * 16)


@pytest.mark.parametrize("case", cases(GCM_FILE))
def test_aes_gcm_wycheproof(case) -> None:
    case = need(case)
    key, iv, aad = case.hex("key"), case.hex("iv"), case.hex("aad")
    msg, ct, tag = case.hex("msg"), case.hex("ct"), case.hex("tag")
    assert case.group["tagSize"] == 128
    assert case.result in ("valid", "invalid"), case.why()

    if case.result == "valid":
        assert aesgcm.encrypt(key, iv, msg, aad) == (ct, tag), case.why()
        assert aesgcm.decrypt(key, iv, ct, aad, tag) == msg, case.why()
        return
    with pytest.raises(DecryptionError):
        aesgcm.decrypt(key, iv, ct, aad, tag)
    if not iv:
        with pytest.raises(CryptoError, match="non-empty iv"):
            aesgcm.encrypt(key, iv, msg, aad)


@pytest.mark.parametrize("key_size", [16, 24, 32])
@pytest.mark.parametrize("iv_size", [8, 12, 16, 64])
@pytest.mark.parametrize("length", [0, 1, 16, 33, 300])
def test_aes_gcm_agrees_with_cryptography(key_size, iv_size, length) -> None:
    key, iv = os.urandom(key_size), os.urandom(iv_size)
    plaintext, aad = os.urandom(length), os.urandom(length % 37)
    encryptor = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    expected = encryptor.update(plaintext) + encryptor.finalize()
    ciphertext, tag = aesgcm.encrypt(key, iv, plaintext, aad)
    assert (ciphertext, tag) == (expected, encryptor.tag)
    assert aesgcm.decrypt(key, iv, ciphertext, aad, tag) == plaintext


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("tag", "authentication failed"),
        ("aad", "authentication failed"),
        ("ciphertext", "authentication failed"),
        ("short-tag", "tag must have 16 bytes, not 12"),
    ],
)
def test_aes_gcm_refuses_tampering(change: str, message: str) -> None:
    key, iv = b"k" * 32, b"i" * 12
    ciphertext, tag = aesgcm.encrypt(key, iv, b"attack at dawn", b"header")
    aad = b"header"
    if change == "tag":
        tag = bytes([tag[0] ^ 1]) + tag[1:]
    elif change == "aad":
        aad = b"Header"
    elif change == "ciphertext":
        ciphertext = ciphertext[:-1] + bytes([ciphertext[-1] ^ 0x80])
    else:
        tag = tag[:12]
    with pytest.raises(DecryptionError, match=message):
        aesgcm.decrypt(key, iv, ciphertext, aad, tag)


# FIPS 197 appendix C: (key, ciphertext) for the plaintext 00112233...eeff.
FIPS197 = {
    "C.1-aes128": (
        "000102030405060708090a0b0c0d0e0f",
        "69c4e0d86a7b0430d8cdb78070b4c55a",
    ),
    "C.2-aes192": (
        "000102030405060708090a0b0c0d0e0f1011121314151617",
        "dda97ca4864cdfe06eaf70a0ec0d7191",
    ),
    "C.3-aes256": (
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "8ea2b7ca516745bfeafc49904b496089",
    ),
}


@pytest.mark.parametrize(("key", "ciphertext"), FIPS197.values(), ids=FIPS197)
def test_aes_block_fips197(key: str, ciphertext: str) -> None:
    plaintext = bytes.fromhex("00112233445566778899aabbccddeeff")
    aes = AES(bytes.fromhex(key))
    assert aes.encrypt_block(plaintext).hex() == ciphertext
    assert aes.decrypt_block(bytes.fromhex(ciphertext)) == plaintext


@pytest.mark.parametrize("key_size", [16, 24, 32])
def test_aes_block_agrees_with_cryptography(key_size: int) -> None:
    for _ in range(50):
        key, block = os.urandom(key_size), os.urandom(16)
        expected = Cipher(algorithms.AES(key), modes.ECB()).encryptor().update(block)
        aes = AES(key)
        assert aes.encrypt_block(block) == expected
        assert aes.decrypt_block(expected) == block


@pytest.mark.parametrize("size", [0, 15, 17])
def test_aes_block_refuses_a_bad_size(size: int) -> None:
    with pytest.raises(CryptoError):
        AES(b"k" * 16).encrypt_block(b"b" * size)
    with pytest.raises(CryptoError):
        AES(b"k" * size)
