"""The SHA hashes the core uses, by name, without ``hashlib.new``.

Inside the component CPython has no OpenSSL, so ``hashlib.new`` only knows
the built-in names. The named constructors below exist in both worlds.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from ..errors import CryptoError

__all__ = ["DIGEST_INFO_PREFIX", "HASHES", "digest", "hash_constructor", "hmac_digest"]

HASHES: dict[str, Callable[..., Any]] = {
    "sha1": hashlib.sha1,
    "sha224": hashlib.sha224,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}

# DER of DigestInfo ::= SEQUENCE { AlgorithmIdentifier (with NULL), OCTET STRING }
# up to the digest itself; RFC 8017 section 9.2, note 1.
DIGEST_INFO_PREFIX: dict[str, bytes] = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha224": bytes.fromhex("302d300d06096086480165030402040500041c"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


def hash_constructor(name: str) -> Callable[..., Any]:
    """Return the hashlib constructor for ``name`` (sha1 ... sha512)."""
    try:
        return HASHES[name]
    except KeyError:
        raise CryptoError(f"unsupported hash {name}") from None


def digest(name: str, data: bytes) -> bytes:
    """Hash ``data`` with the named SHA function."""
    return hash_constructor(name)(data).digest()


def hmac_digest(name: str, key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) of ``data`` under ``key`` with the named SHA function."""
    return hmac.digest(key, data, hash_constructor(name))
