"""Certificate fingerprints as step prints and accepts them.

A fingerprint is a digest of a certificate's DER bytes. step prints the SHA-256
form in lower-case hex, and `--fingerprint` flags take the same form; users
also paste it with colons, in upper case, or in base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import string

from .errors import InputError

__all__ = ["ENCODINGS", "fingerprint", "normalize_fingerprint"]

_DIGESTS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}

#: The encodings `fingerprint` can produce, named as step's `--format` values.
ENCODINGS = ("hex", "base64", "base64-url", "base64-raw", "base64-url-raw")

_SHA256_SIZE = 32
_HEX_DIGITS = frozenset(string.hexdigits)


def fingerprint(der: bytes, algorithm: str = "sha256", *, encoding: str = "hex") -> str:
    """Return the digest of `der`: lower-case hex by default, or base64."""
    try:
        digest = _DIGESTS[algorithm](der).digest()
    except KeyError:
        names = ", ".join(_DIGESTS)
        raise InputError(
            f"fingerprint algorithm '{algorithm}' is not supported (use {names})"
        ) from None

    if encoding == "hex":
        return digest.hex()
    if encoding == "base64":
        return base64.standard_b64encode(digest).decode("ascii")
    if encoding == "base64-url":
        return base64.urlsafe_b64encode(digest).decode("ascii")
    if encoding == "base64-raw":
        return base64.standard_b64encode(digest).decode("ascii").rstrip("=")
    if encoding == "base64-url-raw":
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    raise InputError(
        f"fingerprint encoding '{encoding}' is not supported "
        f"(use {', '.join(ENCODINGS)})"
    )


def normalize_fingerprint(text: str) -> str:
    """Return a SHA-256 fingerprint given in any usual form as lower-case hex.

    Accepted: hex with or without `:` or spaces between bytes, any case; and
    standard or URL-safe base64, padded or not.
    """
    compact = "".join(text.replace(":", " ").split())
    if not compact:
        raise InputError("fingerprint is empty")

    if all(c in _HEX_DIGITS for c in compact):
        if len(compact) != 2 * _SHA256_SIZE:
            raise InputError(
                f"fingerprint '{text.strip()}' has {len(compact)} hex digits, "
                f"a SHA-256 fingerprint has {2 * _SHA256_SIZE}"
            )
        return compact.lower()
    if len(compact) == 2 * _SHA256_SIZE:
        bad = next(c for c in compact if c not in _HEX_DIGITS)
        raise InputError(
            f"fingerprint '{text.strip()}' has a non-hex character {bad!r}"
        )

    digest = _decode_base64(compact)
    if digest is None:
        raise InputError(
            f"fingerprint '{text.strip()}' is neither hex nor base64 "
            "of a SHA-256 digest"
        )
    if len(digest) != _SHA256_SIZE:
        raise InputError(
            f"fingerprint '{text.strip()}' decodes to {len(digest)} bytes, "
            f"a SHA-256 fingerprint has {_SHA256_SIZE}"
        )
    return digest.hex()


def _decode_base64(text: str) -> bytes | None:
    standard = text.replace("-", "+").replace("_", "/").rstrip("=")
    padded = standard + "=" * (-len(standard) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
