"""Distinguished names and general names, shown the way step shows them.

Names are printed as Go's certinfo prints them: `K=V` pairs in encoding order
joined by commas ("CN=foo,O=bar"). DNS names, URIs and e-mail addresses are
shown as their raw IA5 bytes (punycode stays punycode), IP addresses as Go's
`net.IP.String()` does (an IPv4-mapped IPv6 address prints as IPv4).
"""

from __future__ import annotations

# asn1crypto decodes DNS names with the idna codec, which looks up the punycode
# codec lazily for "xn--" labels: import it here so that the component has it.
import encodings.punycode  # noqa: F401
import ipaddress
import unicodedata

from asn1crypto import core, parser, x509

__all__ = [
    "ATTRIBUTE_JSON_KEYS",
    "EXT_KEY_USAGES",
    "attributes",
    "common_name",
    "format_ip",
    "format_ip_network",
    "format_name",
    "general_name_text",
    "ia5_text",
    "printable",
    "valid_dns_name",
]

# RFC 5280 section 4.1.2.4 and RFC 4519: the labels Go's certinfo prints.
_ATTRIBUTE_LABELS = {
    "2.5.4.3": "CN",
    "2.5.4.5": "SERIALNUMBER",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.17": "POSTALCODE",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}

#: JSON keys of name attributes, as zcrypto (step's `--format json`) names them.
ATTRIBUTE_JSON_KEYS = {
    "2.5.4.3": "common_name",
    "2.5.4.4": "surname",
    "2.5.4.5": "serial_number",
    "2.5.4.6": "country",
    "2.5.4.7": "locality",
    "2.5.4.8": "province",
    "2.5.4.9": "street_address",
    "2.5.4.10": "organization",
    "2.5.4.11": "organizational_unit",
    "2.5.4.17": "postal_code",
    "2.5.4.42": "given_name",
    "1.2.840.113549.1.9.1": "email_address",
    "0.9.2342.19200300.100.1.25": "domain_component",
    "0.9.2342.19200300.100.1.1": "user_id",
}

#: RFC 5280 section 4.2.1.12 and friends: OID -> (text label, JSON key).
EXT_KEY_USAGES = {
    "2.5.29.37.0": ("Any Usage", "any"),
    "1.3.6.1.5.5.7.3.1": ("Server Authentication", "server_auth"),
    "1.3.6.1.5.5.7.3.2": ("Client Authentication", "client_auth"),
    "1.3.6.1.5.5.7.3.3": ("Code Signing", "code_signing"),
    "1.3.6.1.5.5.7.3.4": ("E-mail Protection", "email_protection"),
    "1.3.6.1.5.5.7.3.5": ("IPSec End System", "ipsec_end_system"),
    "1.3.6.1.5.5.7.3.6": ("IPSec Tunnel", "ipsec_tunnel"),
    "1.3.6.1.5.5.7.3.7": ("IPSec User", "ipsec_user"),
    "1.3.6.1.5.5.7.3.8": ("Time Stamping", "time_stamping"),
    "1.3.6.1.5.5.7.3.9": ("OCSP Signing", "ocsp_signing"),
}

_OID_COMMON_NAME = "2.5.4.3"


def attributes(name: x509.Name) -> list[tuple[str, str]]:
    """Return the (dotted OID, text value) of every attribute, in encoding order."""
    pairs = []
    for rdn in name.chosen:
        for attribute in rdn:
            oid = attribute["type"].dotted
            pairs.append((oid, _attribute_text(attribute["value"])))
    return pairs


def _attribute_text(value: core.Asn1Value) -> str:
    native = value.native
    if isinstance(native, str):
        return native
    # RFC 4514 section 2.4: a value that is not a string is shown as #<hex DER>.
    return "#" + value.dump().hex()


def printable(text: str) -> str:
    """Escape control and formatting characters of untrusted text for display.

    A certificate may carry terminal escapes, new lines or bidirectional
    overrides in a name; they are shown as \\x.. or \\u.... escapes instead.
    """
    if text.isprintable():
        return text
    return "".join(
        char
        if char == " " or unicodedata.category(char)[0] not in "CZ"
        else (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
        for char in text
    )


def format_name(name: x509.Name) -> str:
    """Return the name as `K=V` pairs joined by commas, in encoding order."""
    return ",".join(
        f"{_ATTRIBUTE_LABELS.get(oid, oid)}={printable(value)}"
        for oid, value in attributes(name)
    )


def common_name(name: x509.Name) -> str:
    """Return the last common name of `name` (as Go does), or ""."""
    found = ""
    for oid, value in attributes(name):
        if oid == _OID_COMMON_NAME:
            found = value
    return found


def ia5_text(value: core.Asn1Value) -> str:
    """Return the raw bytes of an IA5String-like value as text."""
    return (value.contents or b"").decode("ascii", "replace")


def format_ip(raw: bytes, *, unmap: bool = True) -> str:
    """Return an iPAddress SAN as Go prints it; "?" + hex when malformed."""
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    if len(raw) == 16:
        address = ipaddress.IPv6Address(raw)
        if unmap and address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(address)
    return "?" + raw.hex()


def format_ip_network(raw: bytes) -> str:
    """Return an iPAddress name constraint (address + mask) as CIDR text."""
    half = len(raw) // 2
    if len(raw) not in (8, 32):
        return "?" + raw.hex()
    address = format_ip(raw[:half], unmap=False)
    mask = int.from_bytes(raw[half:], "big")
    bits = 8 * half
    prefix = mask.bit_count()
    if mask != ((1 << bits) - 1) ^ ((1 << (bits - prefix)) - 1):
        return f"{address}/{raw[half:].hex()}"  # a mask that is not a prefix
    return f"{address}/{prefix}"


def general_name_text(general_name: x509.GeneralName) -> tuple[str, str]:
    """Return (kind, display text) of a GeneralName; kind names the SAN group."""
    kind = general_name.name
    value = general_name.chosen
    if kind == "dns_name":
        return "DNS", printable(ia5_text(value))
    if kind == "rfc822_name":
        return "email", printable(ia5_text(value))
    if kind == "uniform_resource_identifier":
        return "URI", printable(ia5_text(value))
    if kind == "ip_address":
        return "IP Address", format_ip(bytes(value.contents or b""))
    if kind == "directory_name":
        return "DirName", format_name(value)
    if kind == "registered_id":
        return "Registered ID", value.dotted
    if kind == "other_name":
        # The value as Go shows it: the DER inside the [0] EXPLICIT wrapper.
        inner = parser.parse(value["value"].dump())[4]
        return "OtherName", f"Type: {value['type_id'].dotted}, Value: 0x{inner.hex()}"
    return kind, "0x" + value.dump().hex()


def valid_dns_name(text: str, *, wildcard: bool, underscore: bool = False) -> bool:
    """RFC 1034 section 3.5 preferred syntax, with digits leading (RFC 1123);
    a SAN may start with one "*." label (RFC 6125 section 6.4.3). '_' only
    with `underscore` (as Go allows; x509-limbo's rfc5280::san::underscore-dns
    wants it refused)."""
    allowed = "-_" if underscore else "-"
    name = text[2:] if wildcard and text.startswith("*.") else text
    labels = name.removesuffix(".").split(".")
    return (
        bool(name)
        and len(name) <= 253
        and all(
            0 < len(label) <= 63
            and label[0] != "-"
            and label[-1] != "-"
            and all(c.isascii() and (c.isalnum() or c in allowed) for c in label)
            for label in labels
        )
    )
