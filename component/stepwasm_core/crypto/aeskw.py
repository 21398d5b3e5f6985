"""AES key wrap, RFC 3394 (the JOSE algorithms A128KW, A192KW, A256KW)."""

from __future__ import annotations

import hmac

from ..errors import CryptoError, DecryptionError
from ._aes import AES

__all__ = ["unwrap", "wrap"]

# RFC 3394 section 2.2.3.1, the default initial value.
_IV = bytes.fromhex("A6A6A6A6A6A6A6A6")
_ROUNDS = 6


def wrap(kek: bytes, key: bytes) -> bytes:
    """Wrap ``key`` (16 bytes or more, a multiple of 8) under ``kek``.

    RFC 3394 needs at least two 64-bit blocks; a single block (an 8-byte
    key) is refused rather than encrypted directly.
    """
    if len(key) < 16 or len(key) % 8:
        raise CryptoError(
            f"a wrapped key must have 16 or more bytes in steps of 8, not {len(key)}"
        )
    aes = AES(kek)
    n = len(key) // 8
    a = _IV
    r = [key[8 * i : 8 * i + 8] for i in range(n)]

    for j in range(_ROUNDS):
        for i in range(n):
            b = aes.encrypt_block(a + r[i])
            t = n * j + i + 1
            a = (int.from_bytes(b[:8], "big") ^ t).to_bytes(8, "big")
            r[i] = b[8:]
    return a + b"".join(r)


def unwrap(kek: bytes, wrapped: bytes) -> bytes:
    """Unwrap and check a key; ``DecryptionError`` if it does not check out."""
    if len(wrapped) < 24 or len(wrapped) % 8:
        raise DecryptionError(
            f"a wrapped key has 24 or more bytes in steps of 8, not {len(wrapped)}"
        )
    aes = AES(kek)
    n = len(wrapped) // 8 - 1
    a = int.from_bytes(wrapped[:8], "big")
    r = [wrapped[8 * (i + 1) : 8 * (i + 2)] for i in range(n)]

    for j in reversed(range(_ROUNDS)):
        for i in reversed(range(n)):
            t = n * j + i + 1
            b = aes.decrypt_block((a ^ t).to_bytes(8, "big") + r[i])
            a = int.from_bytes(b[:8], "big")
            r[i] = b[8:]

    if not hmac.compare_digest(a.to_bytes(8, "big"), _IV):
        raise DecryptionError("key unwrap failed: integrity check")
    return b"".join(r)
