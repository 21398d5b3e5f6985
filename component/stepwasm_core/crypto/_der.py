"""Strict DER for ECDSA signatures (RFC 3279 section 2.2.3, X.690 DER rules).

``Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }``. Decoding accepts
exactly one spelling per value: minimal lengths, minimal non-negative
integers, nothing before or after.
"""

from __future__ import annotations

__all__ = ["decode_ecdsa_signature", "encode_ecdsa_signature"]


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _encode_integer(value: int) -> bytes:
    if value < 0:
        raise ValueError("negative integers are not used here")
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + _encode_length(len(body)) + body


def encode_ecdsa_signature(r: int, s: int) -> bytes:
    """DER-encode the pair (r, s)."""
    body = _encode_integer(r) + _encode_integer(s)
    return b"\x30" + _encode_length(len(body)) + body


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise ValueError("der: missing length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0:
        raise ValueError("der: indefinite length")
    if count > 4 or pos + count > len(data):
        raise ValueError("der: length too long")
    body = data[pos : pos + count]
    if body[0] == 0:
        raise ValueError("der: length has a leading zero")
    length = int.from_bytes(body, "big")
    if length < 0x80:
        raise ValueError("der: long form for a short length")
    return length, pos + count


def _read_integer(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data) or data[pos] != 0x02:
        raise ValueError("der: expected an INTEGER")
    length, pos = _read_length(data, pos + 1)
    end = pos + length
    if length == 0 or end > len(data):
        raise ValueError("der: bad INTEGER length")
    body = data[pos:end]
    if body[0] & 0x80:
        raise ValueError("der: negative INTEGER")
    if len(body) > 1 and body[0] == 0 and not body[1] & 0x80:
        raise ValueError("der: INTEGER is not minimal")
    return int.from_bytes(body, "big"), end


def decode_ecdsa_signature(data: bytes) -> tuple[int, int]:
    """Return (r, s) from a DER signature; ``ValueError`` if not strict DER."""
    data = bytes(data)
    if not data or data[0] != 0x30:
        raise ValueError("der: expected a SEQUENCE")
    length, pos = _read_length(data, 1)
    if pos + length != len(data):
        raise ValueError("der: SEQUENCE length does not match the data")
    r, pos = _read_integer(data, pos)
    s, pos = _read_integer(data, pos)
    if pos != len(data):
        raise ValueError("der: data after the two INTEGERs")
    return r, s
