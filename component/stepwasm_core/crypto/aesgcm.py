"""AES-GCM (NIST SP 800-38D) over our pure-Python AES block (`_aes`).

tlslite's own GCM takes only 96-bit nonces and 128/256-bit keys, so the mode
is written out here: any non-empty IV length (GHASH-derived J0 otherwise),
all three key sizes, 128-bit tags only, as JWE uses them.
"""

from __future__ import annotations

import hmac

from ..errors import CryptoError, DecryptionError
from ._aes import AES

__all__ = ["TAG_SIZE", "decrypt", "encrypt"]

TAG_SIZE = 16

_MASK32 = 0xFFFFFFFF
# x^128 = x^7 + x^2 + x + 1, in GCM's reflected bit order (SP 800-38D 6.3).
_R = 0xE1 << 120


class _GHash:
    """Multiplication by the hash key H in GF(2^128), four bits at a time.

    A block is read as a big-endian integer whose most significant bit is
    the coefficient of x^0. ``_table[16 * k + v]`` holds H times the nibble
    ``v`` standing in the k-th most significant nibble of a block.
    """

    __slots__ = ("_table",)

    def __init__(self, h: int) -> None:
        powers = []  # powers[i] = H * x^i
        v = h
        for _ in range(128):
            powers.append(v)
            v = (v >> 1) ^ _R if v & 1 else v >> 1
        table = []
        for k in range(32):
            # nibble bit 8 is x^(4k), bit 4 is x^(4k+1), 2 is x^(4k+2), 1 is x^(4k+3)
            basis = (powers[4 * k + 3], powers[4 * k + 2], powers[4 * k + 1])
            basis += (powers[4 * k],)
            for nibble in range(16):
                acc = 0
                for bit in range(4):
                    if nibble >> bit & 1:
                        acc ^= basis[bit]
                table.append(acc)
        self._table = table

    def times_h(self, x: int) -> int:
        table = self._table
        z = 0
        for k in range(32):
            z ^= table[16 * k + ((x >> (124 - 4 * k)) & 0xF)]
        return z

    def digest(self, aad: bytes, data: bytes) -> int:
        """GHASH over ``aad`` and ``data`` with the length block (SP 800-38D 7.1)."""
        y = self.absorb(0, aad)
        y = self.absorb(y, data)
        lengths = (8 * len(aad)) << 64 | (8 * len(data))
        return self.times_h(y ^ lengths)

    def absorb(self, y: int, data: bytes) -> int:
        """Fold ``data``, zero-padded to whole blocks, into the state ``y``."""
        for start in range(0, len(data), 16):
            block = data[start : start + 16]
            y = self.times_h(y ^ int.from_bytes(block.ljust(16, b"\x00"), "big"))
        return y


def _setup(key: bytes, iv: bytes) -> tuple[AES, _GHash, int]:
    aes = AES(key)
    ghash = _GHash(int.from_bytes(aes.encrypt_block(bytes(16)), "big"))
    if len(iv) == 12:
        j0 = int.from_bytes(iv + b"\x00\x00\x00\x01", "big")
    else:
        # SP 800-38D 7.1 step 2: GHASH(IV || 0^(s+64) || [len(IV)]_64)
        j0 = ghash.times_h(ghash.absorb(0, iv) ^ (8 * len(iv)))
    return aes, ghash, j0


def _ctr(aes: AES, j0: int, data: bytes) -> bytes:
    """XOR ``data`` with the key stream that starts at inc32(J0)."""
    if not data:
        return b""
    high = j0 & ~_MASK32
    stream = bytearray()
    for i in range(1, (len(data) + 15) // 16 + 1):
        counter = high | ((j0 + i) & _MASK32)
        stream += aes.encrypt_block(counter.to_bytes(16, "big"))
    mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream[: len(data)], "big")
    return mixed.to_bytes(len(data), "big")


def _tag(aes: AES, ghash: _GHash, j0: int, aad: bytes, ciphertext: bytes) -> bytes:
    s = ghash.digest(aad, ciphertext)
    mask = int.from_bytes(aes.encrypt_block(j0.to_bytes(16, "big")), "big")
    return (s ^ mask).to_bytes(16, "big")


def encrypt(
    key: bytes, iv: bytes, plaintext: bytes, aad: bytes = b""
) -> tuple[bytes, bytes]:
    """Encrypt and authenticate; return ``(ciphertext, tag)``."""
    if not iv:
        raise CryptoError("aes-gcm needs a non-empty iv")
    key, iv, plaintext, aad = bytes(key), bytes(iv), bytes(plaintext), bytes(aad)
    aes, ghash, j0 = _setup(key, iv)
    ciphertext = _ctr(aes, j0, plaintext)
    return ciphertext, _tag(aes, ghash, j0, aad, ciphertext)


def decrypt(key: bytes, iv: bytes, ciphertext: bytes, aad: bytes, tag: bytes) -> bytes:
    """Check the tag and decrypt; ``DecryptionError`` when anything is off."""
    if not iv:
        raise DecryptionError("aes-gcm needs a non-empty iv")
    if len(tag) != TAG_SIZE:
        raise DecryptionError(f"aes-gcm tag must have {TAG_SIZE} bytes, not {len(tag)}")
    key, iv, ciphertext, aad = bytes(key), bytes(iv), bytes(ciphertext), bytes(aad)
    aes, ghash, j0 = _setup(key, iv)
    if not hmac.compare_digest(_tag(aes, ghash, j0, aad, ciphertext), bytes(tag)):
        raise DecryptionError("aes-gcm authentication failed")
    return _ctr(aes, j0, ciphertext)
