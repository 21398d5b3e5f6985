"""Unpadded base64url, as JOSE uses it (RFC 7515 section 2 and appendix C)."""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["decode", "encode"]

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


def encode(data: bytes) -> str:
    """Encode bytes as base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode(text: str | bytes) -> bytes:
    """Decode strict unpadded base64url.

    Padding, whitespace, characters outside the URL-safe alphabet and
    non-zero unused bits in the last character all raise ``ValueError``:
    each value has exactly one accepted spelling. Non-strings raise
    ``TypeError``.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("base64url text is not ascii") from None
    if not isinstance(text, str):
        raise TypeError("base64url value must be str or bytes")
    if _ALPHABET.fullmatch(text) is None:
        raise ValueError("base64url text has characters outside the alphabet")
    if len(text) % 4 == 1:
        raise ValueError("base64url text has an impossible length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("base64url text does not decode") from None
    if encode(data) != text:
        raise ValueError("base64url text is not canonical")
    return data
