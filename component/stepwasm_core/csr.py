"""Certificate signing requests (PKCS #10, RFC 2986) as step builds them.

`build_csr` mirrors step's `x509util.CreateCertificateRequest`: the subject is
just the common name, and each SAN string is typed the way step's `SplitSANs`
types it, in the same order of tests: an IP address, then a URI with a scheme,
then anything with an "@" (an e-mail address), and everything else a DNS name.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from asn1crypto import csr, keys, x509

from .crypto.keys import verify_signature
from .errors import InputError
from .names import valid_dns_name
from .pem import ASN1_ERRORS, asn1_cause, check_input_size, parse_pem_blocks

if TYPE_CHECKING:
    from .crypto.keys import PrivateKey

__all__ = ["CSR_LABELS", "build_csr", "check_csr_signature", "parse_csr", "split_sans"]

#: PEM labels under which a CSR may come (the second one is legacy).
CSR_LABELS = ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")

# RFC 3986 section 3.1, as Go's url.Parse finds a scheme.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def split_sans(sans: list[str]) -> dict[str, list]:
    """Type each SAN as step does; return {"dns", "ip", "email", "uri"} lists.

    IP addresses are returned as packed bytes (IPv4-mapped IPv6 as 4 bytes,
    as Go marshals them), the others as strings. Duplicates are dropped.
    """
    split: dict[str, list] = {"dns": [], "ip": [], "email": [], "uri": []}
    for san in sans:
        if not san.strip():
            raise InputError("SAN is empty")
        kind, value = _classify(san)
        if kind != "ip":
            _require_ascii(san)
        if kind == "email":
            local, _, domain = san.rpartition("@")
            if not local or not valid_dns_name(domain, wildcard=False):
                raise InputError(f"SAN {san!r} is not a valid email address")
        if kind == "dns" and not valid_dns_name(san, wildcard=True, underscore=True):
            raise InputError(
                f"SAN {san!r} is not a valid DNS name (dot-separated labels of "
                "letters, digits, '-' and '_')"
            )
        if value not in split[kind]:
            split[kind].append(value)
    return split


def _classify(san: str) -> tuple[str, str | bytes]:
    address = None
    if "%" not in san:  # Go's net.ParseIP takes no IPv6 zone
        try:
            address = ipaddress.ip_address(san)
        except ValueError:
            pass
    if address is not None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return "ip", address.packed
    if _looks_like_uri(san):
        return "uri", san
    if "@" in san:
        return "email", san
    return "dns", san


def _looks_like_uri(san: str) -> bool:
    # An approximation of Go's url.Parse succeeding with a non-empty scheme.
    return bool(
        _SCHEME.match(san) and not _CONTROL.search(san) and not _BAD_ESCAPE.search(san)
    )


def _require_ascii(san: str) -> None:
    try:
        san.encode("ascii")
    except UnicodeEncodeError:
        raise InputError(
            f"SAN '{san}' cannot be encoded: only ASCII is allowed "
            "(write international domain names in punycode)"
        ) from None


def _general_names(split: dict[str, list]) -> x509.GeneralNames:
    # Go's marshalSANs order: DNS names, e-mail addresses, IP addresses, URIs.
    names = [
        x509.GeneralName(name="dns_name", value=x509.DNSName(contents=v.encode()))
        for v in split["dns"]
    ]
    names += [
        x509.GeneralName(
            name="rfc822_name", value=x509.EmailAddress(contents=v.encode())
        )
        for v in split["email"]
    ]
    names += [
        x509.GeneralName(name="ip_address", value=x509.IPAddress(contents=v))
        for v in split["ip"]
    ]
    names += [
        x509.GeneralName(
            name="uniform_resource_identifier", value=x509.URI(contents=v.encode())
        )
        for v in split["uri"]
    ]
    return x509.GeneralNames(names)


def build_csr(key: PrivateKey, subject_cn: str, sans: list[str]) -> bytes:
    """Return the DER of a CSR for `subject_cn` and `sans`, signed with `key`."""
    split = split_sans(sans)
    subject = x509.Name.build({"common_name": subject_cn} if subject_cn else {})

    attributes = []
    if any(split.values()):
        san_extension = x509.Extension(
            {
                "extn_id": "subject_alt_name",
                # RFC 5280 section 4.2.1.6: critical when the subject is empty.
                "critical": not subject_cn,
                "extn_value": _general_names(split),
            }
        )
        attributes.append(
            {"type": "extension_request", "values": [x509.Extensions([san_extension])]}
        )

    info = csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": subject,
            "subject_pk_info": keys.PublicKeyInfo.load(key.public_key().spki_der()),
            "attributes": attributes,
        }
    )
    algorithm, signature = key.sign_x509(info.dump())
    request = csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": algorithm,
            "signature": signature,
        }
    )
    return request.dump()


def parse_csr(data: bytes, *, source: str = "input") -> csr.CertificationRequest:
    """Parse a CSR from PEM or DER completely, or raise InputError."""
    check_input_size(data, source=source)
    if not data.strip():
        raise InputError(f"{source}: empty file")
    der = data
    if b"-----BEGIN" in data:
        blocks = parse_pem_blocks(data, source=source)
        if not blocks:
            raise InputError(f"{source}: no PEM block found")
        label, der = blocks[0]
        if label not in CSR_LABELS:
            raise InputError(
                f"{source}: PEM block 1 has label '{label}', "
                "expected CERTIFICATE REQUEST"
            )
    elif data[:1] != b"\x30":
        raise InputError(f"{source}: no PEM block found")

    try:
        request = csr.CertificationRequest.load(der, strict=True)
        _ = request.native  # asn1crypto parses lazily: walk every field now
    except ASN1_ERRORS as exc:
        raise InputError(
            f"{source}: not a certificate request: {asn1_cause(exc)}"
        ) from None
    return request


def check_csr_signature(request: csr.CertificationRequest) -> None:
    """Check the CSR's self-signature; raise InvalidSignature if it is wrong."""
    info = request["certification_request_info"]
    verify_signature(
        info["subject_pk_info"].dump(),
        request["signature_algorithm"],
        info.dump(),
        request["signature"].native,
    )
