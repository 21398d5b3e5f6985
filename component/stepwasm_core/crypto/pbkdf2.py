"""PBKDF2 with HMAC-SHA (RFC 8018 section 5.2), built on ``hashlib`` only.

``hashlib.pbkdf2_hmac`` needs OpenSSL, which the component lacks. The loop
below keeps the keyed inner and outer hash states and copies them for every
HMAC, so each iteration costs two short hash computations.
"""

from __future__ import annotations

from ..errors import CryptoError
from ._hashes import hash_constructor

__all__ = ["pbkdf2_hmac"]

# Far above anything a JWE may ask for (jose.py caps p2c much lower); this
# only stops a caller from asking for an effectively endless loop.
_MAX_ITERATIONS = 10_000_000


def pbkdf2_hmac(
    hash_name: str, password: bytes, salt: bytes, iterations: int, dklen: int
) -> bytes:
    """Derive ``dklen`` bytes from ``password`` and ``salt``.

    ``hash_name`` is one of sha1, sha224, sha256, sha384, sha512.
    """
    new = hash_constructor(hash_name)
    if not isinstance(iterations, int) or isinstance(iterations, bool):
        raise CryptoError("pbkdf2 iteration count must be an integer")
    if not 1 <= iterations <= _MAX_ITERATIONS:
        raise CryptoError(f"pbkdf2 iteration count {iterations} is out of range")
    if not isinstance(dklen, int) or dklen < 1:
        raise CryptoError("pbkdf2 key length must be a positive integer")
    password = bytes(password)
    salt = bytes(salt)

    inner, outer = _keyed_states(new, password)
    size = inner.digest_size
    blocks = -(-dklen // size)
    if blocks > 0xFFFFFFFF:
        raise CryptoError("pbkdf2 key length is too long")

    out = bytearray()
    for index in range(1, blocks + 1):
        u = _hmac(inner, outer, salt + index.to_bytes(4, "big"))
        acc = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = _hmac(inner, outer, u)
            acc ^= int.from_bytes(u, "big")
        out += acc.to_bytes(size, "big")
    return bytes(out[:dklen])


def _keyed_states(new, key: bytes):
    """Return hash states already fed with key^ipad and key^opad (RFC 2104)."""
    block = new().block_size
    if len(key) > block:
        key = new(key).digest()
    key = key.ljust(block, b"\x00")
    inner = new(bytes(b ^ 0x36 for b in key))
    outer = new(bytes(b ^ 0x5C for b in key))
    return inner, outer


def _hmac(inner, outer, message: bytes) -> bytes:
    h = inner.copy()
    h.update(message)
    o = outer.copy()
    o.update(h.digest())
    return o.digest()
