"""PEM blocks (RFC 7468) and loading certificates from PEM or DER files.

`load_certificates` is the one entry point for certificate files: it accepts
one or many CERTIFICATE blocks with any text around them, or a single DER
certificate, and parses every certificate completely before returning, so that
a malformed one is refused here as an `InputError` and never fails later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

# Codecs asn1crypto looks up by name when it decodes strings (EmailAddress,
# BMPString, UniversalString); imported here so that componentize-py bundles
# them, as it bundles only what is imported at the top level.
from encodings import cp1252, utf_16_be, utf_32_be  # noqa: F401

from asn1crypto import core, x509

from .errors import InputError

__all__ = [
    "ASN1_ERRORS",
    "MAX_INPUT_BYTES",
    "asn1_cause",
    "check_input_size",
    "load_certificates",
    "parse_certificate",
    "parse_pem_blocks",
    "to_pem",
]

#: What asn1crypto raises for malformed input, lazily or not.
ASN1_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
)

_BEGIN = re.compile(rb"^-----BEGIN ([\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?-----$")
_END = re.compile(rb"^-----END ([\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?-----$")
_B64_LINE = 64

#: The largest input taken as certificates, CSRs or keys. Real bundles are a
#: few kilobytes; refusing early keeps a wrong file from costing seconds.
MAX_INPUT_BYTES = 2 * 1024 * 1024


def check_input_size(data: bytes, *, source: str) -> None:
    """Refuse input too large to be a certificate file, in one line."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"{source}: {len(data)} bytes is too large to be a certificate "
            f"(at most {MAX_INPUT_BYTES // (1024 * 1024)} MiB)"
        )


def asn1_cause(exc: BaseException) -> str:
    """Return asn1crypto's message on one line, first letter lower-case."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:1].lower() + text[1:]


def parse_pem_blocks(data: bytes, *, source: str = "input") -> list[tuple[str, bytes]]:
    """Return the (label, DER) pairs of every PEM block in `data`, in order.

    Text outside the blocks is ignored (RFC 7468 section 5.2). RFC 1421 style
    headers inside a block ("Proc-Type: ...") are skipped.
    """
    blocks: list[tuple[str, bytes]] = []
    label: str | None = None
    body: list[bytes] = []
    in_headers = False

    for raw_line in data.splitlines():
        line = raw_line.strip()
        if label is None:
            begin = _BEGIN.match(line)
            if begin:
                label = (begin.group(1) or b"").decode("ascii")
                body = []
                in_headers = True
            continue

        index = len(blocks) + 1
        end = _END.match(line)
        if end:
            end_label = (end.group(1) or b"").decode("ascii")
            if end_label != label:
                raise InputError(
                    f"{source}: PEM block {index} begins with '{label}' "
                    f"but ends with '{end_label}'"
                )
            blocks.append((label, _decode_body(body, source=source, index=index)))
            label = None
            continue
        if line.startswith(b"-----BEGIN "):
            raise InputError(f"{source}: PEM block {index} has no END line")
        if in_headers:
            if b":" in line:
                continue
            in_headers = False
        if line:
            body.append(line)

    if label is not None:
        raise InputError(f"{source}: PEM block {len(blocks) + 1} has no END line")
    return blocks


def _decode_body(lines: list[bytes], *, source: str, index: int) -> bytes:
    text = b"".join(b"".join(line.split()) for line in lines)
    if not text:
        raise InputError(f"{source}: PEM block {index} is empty")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{source}: bad base64 in PEM block {index}") from None


def to_pem(label: str, der: bytes) -> bytes:
    """Encode `der` as one PEM block with 64-character lines."""
    encoded = base64.b64encode(der)
    lines = [encoded[i : i + _B64_LINE] for i in range(0, len(encoded), _B64_LINE)]
    head = f"-----BEGIN {label}-----\n".encode("ascii")
    tail = f"-----END {label}-----\n".encode("ascii")
    return head + b"".join(line + b"\n" for line in lines) + tail


def load_certificates(data: bytes, *, source: str) -> list[x509.Certificate]:
    """Parse every certificate in a PEM or DER file; `source` names the file."""
    check_input_size(data, source=source)
    if not data.strip():
        raise InputError(f"{source}: empty file")

    if b"-----BEGIN" in data:
        blocks = parse_pem_blocks(data, source=source)
        if not blocks:
            raise InputError(f"{source}: no PEM block found")
        certificates = []
        for index, (label, der) in enumerate(blocks, start=1):
            if label in ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"):
                raise InputError(
                    f"{source}: PEM block {index} is a certificate signing "
                    "request (CSR), not a certificate"
                )
            if label != "CERTIFICATE":
                raise InputError(
                    f"{source}: PEM block {index} has label '{label}', "
                    "expected CERTIFICATE"
                )
            where = f"{source}: PEM block {index}" if len(blocks) > 1 else source
            certificates.append(parse_certificate(der, source=where))
        return certificates

    if data[:1] != b"\x30":
        raise InputError(f"{source}: no PEM block found")
    return [parse_certificate(data, source=source)]


#: Hashes of DER certificates this process already walked completely: the
#: walk depends only on the bytes, and a renewal meets the same root and
#: intermediate again and again.
_PARSED: dict[bytes, None] = {}
_PARSED_MAX = 256


def parse_certificate(der: bytes, *, source: str = "input") -> x509.Certificate:
    """Parse one DER certificate completely, or raise InputError."""
    seen = hashlib.sha256(der).digest()
    try:
        certificate = x509.Certificate.load(der, strict=True)
        if seen not in _PARSED:
            # asn1crypto parses lazily: walk every field now.
            _ = certificate.native
        extensions = certificate["tbs_certificate"]["extensions"]
        oids = (
            []
            if isinstance(extensions, core.Void)
            else [extension["extn_id"].dotted for extension in extensions]
        )
    except ASN1_ERRORS as exc:
        raise InputError(f"{source}: not a certificate: {asn1_cause(exc)}") from None

    # RFC 5280 section 4.2: at most one instance of each extension.
    duplicates = sorted({oid for oid in oids if oids.count(oid) > 1})
    if duplicates:
        raise InputError(
            f"{source}: not a certificate: extension {duplicates[0]} appears twice"
        )
    if seen not in _PARSED:
        if len(_PARSED) >= _PARSED_MAX:
            del _PARSED[next(iter(_PARSED))]
        _PARSED[seen] = None
    return certificate
