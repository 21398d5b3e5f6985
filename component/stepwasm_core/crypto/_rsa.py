"""RSA signature encodings (RFC 8017) over the ``rsa`` package's integers.

The ``rsa`` package supplies key generation, the raw exponentiation and a
blinded CRT private operation; the PKCS #1 v1.5 and PSS encodings and their
strict checks are written out here.
"""

from __future__ import annotations

import hmac

import rsa
import rsa.core

from ..errors import CryptoError, InvalidSignature
from ._hashes import DIGEST_INFO_PREFIX, digest

__all__ = [
    "check_public_numbers",
    "has_roca_fingerprint",
    "pkcs1v15_sign",
    "pkcs1v15_verify",
    "pss_verify",
]

MAX_MODULUS_BITS = 16384


def check_public_numbers(n: int, e: int) -> None:
    """Refuse RSA public numbers that cannot belong to a sane key."""
    if n <= 0 or n % 2 == 0 or n.bit_length() < 512:
        raise ValueError("rsa modulus is not a usable odd number of 512 bits or more")
    if n.bit_length() > MAX_MODULUS_BITS:
        raise ValueError(f"rsa modulus is larger than {MAX_MODULUS_BITS} bits")
    if e < 3 or e % 2 == 0 or e.bit_length() > 256 or e >= n:
        raise ValueError("rsa public exponent is invalid")


def _emsa_pkcs1v15(hash_name: str, data: bytes, k: int) -> bytes:
    """EMSA-PKCS1-v1_5 encoding of ``data`` for a ``k``-byte modulus (9.2)."""
    t = DIGEST_INFO_PREFIX[hash_name] + digest(hash_name, data)
    if k < len(t) + 11:
        raise CryptoError("rsa key is too small for this hash")
    return b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def pkcs1v15_sign(key: rsa.PrivateKey, hash_name: str, data: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 signature (RFC 8017 8.2.1), blinded and re-checked."""
    k = (key.n.bit_length() + 7) // 8
    m = int.from_bytes(_emsa_pkcs1v15(hash_name, data, k), "big")
    s = key.blinded_decrypt(m)
    # A fault in the CRT computation would leak the key; check before release.
    if rsa.core.encrypt_int(s, key.e, key.n) != m:
        raise CryptoError("rsa signature failed its self-check")
    return s.to_bytes(k, "big")


def _public_op(n: int, e: int, signature: bytes) -> int:
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        raise InvalidSignature(
            f"rsa signature must have {k} bytes, not {len(signature)}"
        )
    s = int.from_bytes(signature, "big")
    if s >= n:
        raise InvalidSignature("rsa signature is out of range")
    return rsa.core.encrypt_int(s, e, n)


def pkcs1v15_verify(
    n: int, e: int, hash_name: str, data: bytes, signature: bytes
) -> None:
    """Verify RSASSA-PKCS1-v1_5 by comparing whole encodings (RFC 8017 8.2.2)."""
    k = (n.bit_length() + 7) // 8
    m = _public_op(n, e, signature)
    expected = _emsa_pkcs1v15(hash_name, data, k)
    if not hmac.compare_digest(m.to_bytes(k, "big"), expected):
        raise InvalidSignature("rsa signature does not verify")


def _mgf1(hash_name: str, seed: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += digest(hash_name, seed + counter.to_bytes(4, "big"))
        counter += 1
    return bytes(out[:length])


def pss_verify(
    n: int,
    e: int,
    hash_name: str,
    mgf_hash_name: str,
    salt_length: int,
    data: bytes,
    signature: bytes,
) -> None:
    """Verify RSASSA-PSS (RFC 8017 8.1.2 with EMSA-PSS-VERIFY, 9.1.2)."""
    m = _public_op(n, e, signature)
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    if m.bit_length() > 8 * em_len:
        raise InvalidSignature("rsa-pss encoding is too long")
    em = m.to_bytes(em_len, "big")

    m_hash = digest(hash_name, data)
    h_len = len(m_hash)
    if salt_length < 0 or em_len < h_len + salt_length + 2:
        raise InvalidSignature("rsa-pss salt length does not fit the key")
    if em[-1] != 0xBC:
        raise InvalidSignature("rsa-pss encoding lacks its trailer")
    masked_db, h = em[: em_len - h_len - 1], em[em_len - h_len - 1 : -1]
    top_bits = 8 * em_len - em_bits
    top_mask = (0xFF << (8 - top_bits)) & 0xFF
    if masked_db[0] & top_mask:
        raise InvalidSignature("rsa-pss encoding has its top bits set")

    db_mask = _mgf1(mgf_hash_name, h, len(masked_db))
    db = bytearray(a ^ b for a, b in zip(masked_db, db_mask))
    db[0] &= ~top_mask & 0xFF
    padding = em_len - h_len - salt_length - 2
    if any(db[:padding]) or db[padding] != 0x01:
        raise InvalidSignature("rsa-pss padding is wrong")
    salt = bytes(db[len(db) - salt_length :]) if salt_length else b""
    h_check = digest(hash_name, b"\x00" * 8 + m_hash + salt)
    if not hmac.compare_digest(h, h_check):
        raise InvalidSignature("rsa signature does not verify")


# Odd primes up to 167: the moduli of keys from the flawed Infineon generator
# (ROCA, CVE-2017-15361) are powers of 65537 modulo every one of them, which a
# random modulus is with negligible probability (Nemec et al., CCS 2017).
_ROCA_PRIMES = [p for p in range(3, 168) if all(p % d for d in range(2, p))]
_ROCA_SUBGROUPS: dict[int, frozenset[int]] = {}
for _p in _ROCA_PRIMES:
    _members = {1}
    _g = 65537 % _p
    _x = _g
    while _x != 1:
        _members.add(_x)
        _x = _x * _g % _p
    _ROCA_SUBGROUPS[_p] = frozenset(_members)


def has_roca_fingerprint(n: int) -> bool:
    """Whether ``n`` carries the ROCA fingerprint (a weak Infineon key)."""
    return all(n % p in _ROCA_SUBGROUPS[p] for p in _ROCA_PRIMES)
