"""The AES block cipher (FIPS 197), in pure Python.

Only single blocks are needed: AES key wrap and AES-GCM are written on top
of it in `aeskw` and `aesgcm`. The S-box and the round tables are computed
once at import from the field arithmetic of FIPS 197 section 4, and a block
is four 32-bit columns pushed through table look-ups (the usual software
form of SubBytes, ShiftRows and MixColumns). Decryption uses the equivalent
inverse cipher of section 5.3.5.

It once came from tlslite-ng, whose package import pulls in its whole TLS
stack (asyncio, email, xmlrpc, ...): keeping AES here keeps all of that
out of the component.
"""

from __future__ import annotations

from ..errors import CryptoError

__all__ = ["AES"]


def _xtime(a: int) -> int:
    """Multiply by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1."""
    a <<= 1
    return a ^ 0x11B if a & 0x100 else a


def _mul(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        a = _xtime(a)
        b >>= 1
    return product


def _sboxes() -> tuple[list[int], list[int]]:
    # Powers of the generator 3 enumerate the field's non-zero elements,
    # which gives every inverse without a search.
    power, log = [0] * 255, [0] * 256
    value = 1
    for i in range(255):
        power[i], log[value] = value, i
        value = _mul(value, 3)
    sbox, inverse = [0] * 256, [0] * 256
    for x in range(256):
        inv = power[(255 - log[x]) % 255] if x else 0
        s = inv
        for shift in range(1, 5):
            s ^= ((inv << shift) | (inv >> (8 - shift))) & 0xFF
        s ^= 0x63
        sbox[x], inverse[s] = s, x
    return sbox, inverse


def _rotations(column: list[int]) -> tuple[list[int], ...]:
    tables = [column]
    for _ in range(3):
        prev = tables[-1]
        tables.append([((w >> 8) | (w << 24)) & 0xFFFFFFFF for w in prev])
    return tuple(tables)


_SBOX, _INV_SBOX = _sboxes()
# One column of MixColumns applied to a byte in the top row, for each byte.
_TE = _rotations(
    [(_mul(s, 2) << 24) | (s << 16) | (s << 8) | _mul(s, 3) for s in _SBOX]
)
_TD = _rotations(
    [
        (_mul(s, 14) << 24) | (_mul(s, 9) << 16) | (_mul(s, 13) << 8) | _mul(s, 11)
        for s in _INV_SBOX
    ]
)
_RCON = (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1B, 0x36)


def _expand(key: bytes) -> list[int]:
    """The key schedule of FIPS 197 section 5.2, as 32-bit words."""
    nk = len(key) // 4
    rounds = nk + 6
    words = [int.from_bytes(key[4 * i : 4 * i + 4], "big") for i in range(nk)]
    s = _SBOX
    for i in range(nk, 4 * (rounds + 1)):
        t = words[i - 1]
        if i % nk == 0:
            t = ((t << 8) | (t >> 24)) & 0xFFFFFFFF  # RotWord
            t = _sub_word(t, s) ^ (_RCON[i // nk - 1] << 24)
        elif nk > 6 and i % nk == 4:
            t = _sub_word(t, s)
        words.append(words[i - nk] ^ t)
    return words


def _sub_word(w: int, s: list[int]) -> int:
    return (
        (s[w >> 24] << 24)
        | (s[(w >> 16) & 0xFF] << 16)
        | (s[(w >> 8) & 0xFF] << 8)
        | s[w & 0xFF]
    )


def _inverse_schedule(words: list[int], rounds: int) -> list[int]:
    """Round keys in reverse order, InvMixColumns applied to the inner ones."""
    td0, td1, td2, td3 = _TD
    s = _SBOX
    out: list[int] = []
    for r in range(rounds, -1, -1):
        block = words[4 * r : 4 * r + 4]
        if 0 < r < rounds:
            # _TD folds in the inverse S-box; the S-box first cancels it.
            block = [
                td0[s[w >> 24]]
                ^ td1[s[(w >> 16) & 0xFF]]
                ^ td2[s[(w >> 8) & 0xFF]]
                ^ td3[s[w & 0xFF]]
                for w in block
            ]
        out.extend(block)
    return out


class AES:
    """One AES key schedule: encrypts or decrypts single 16-byte blocks."""

    __slots__ = ("_dk", "_ek", "_rounds")

    def __init__(self, key: bytes) -> None:
        key = bytes(key)
        if len(key) not in (16, 24, 32):
            raise CryptoError(f"an AES key has 16, 24 or 32 bytes, not {len(key)}")
        self._rounds = len(key) // 4 + 6
        self._ek = _expand(key)
        self._dk = _inverse_schedule(self._ek, self._rounds)

    def encrypt_block(self, block: bytes) -> bytes:
        """Encrypt one 16-byte block."""
        return _crypt(block, self._ek, self._rounds, _TE, _SBOX, (1, 2, 3))

    def decrypt_block(self, block: bytes) -> bytes:
        """Decrypt one 16-byte block."""
        return _crypt(block, self._dk, self._rounds, _TD, _INV_SBOX, (3, 2, 1))


def _crypt(
    block: bytes,
    rk: list[int],
    rounds: int,
    tables: tuple[list[int], ...],
    sbox: list[int],
    shifts: tuple[int, int, int],
) -> bytes:
    """Rounds over four columns; `shifts` picks each row's source column
    (ShiftRows moves rows left, InvShiftRows right)."""
    if len(block) != 16:
        raise CryptoError(f"an AES block has 16 bytes, not {len(block)}")
    t0, t1, t2, t3 = tables
    a, b, c = shifts
    n = int.from_bytes(block, "big")
    s = [
        (n >> 96) ^ rk[0],
        ((n >> 64) & 0xFFFFFFFF) ^ rk[1],
        ((n >> 32) & 0xFFFFFFFF) ^ rk[2],
        (n & 0xFFFFFFFF) ^ rk[3],
    ]
    k = 4
    for _ in range(rounds - 1):
        s = [
            t0[s[i] >> 24]
            ^ t1[(s[(i + a) & 3] >> 16) & 0xFF]
            ^ t2[(s[(i + b) & 3] >> 8) & 0xFF]
            ^ t3[s[(i + c) & 3] & 0xFF]
            ^ rk[k + i]
            for i in range(4)
        ]
        k += 4
    out = 0
    for i in range(4):
        word = (
            (sbox[s[i] >> 24] << 24)
            | (sbox[(s[(i + a) & 3] >> 16) & 0xFF] << 16)
            | (sbox[(s[(i + b) & 3] >> 8) & 0xFF] << 8)
            | sbox[s[(i + c) & 3] & 0xFF]
        )
        out = (out << 32) | (word ^ rk[k + i])
    return out.to_bytes(16, "big")
