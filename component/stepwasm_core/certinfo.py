"""Certificate inspection: `step certificate inspect` text, --short and JSON.

The text layout follows the one smallstep's certinfo prints (itself close to
OpenSSL's): Go-style algorithm names ("ECDSA-SHA256"), names as "CN=foo,O=bar",
dates in UTC. The JSON form uses the field names of step's `--format json`
(zcrypto's) where they fit, and adds the decoded step provisioner extension.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import functools
import json
from typing import Any, ClassVar

from asn1crypto import algos, core, csr, keys, parser, x509

from .csr import CSR_LABELS, check_csr_signature, parse_csr
from .errors import CertificateError, CryptoError, InputError
from .fingerprint import fingerprint
from .names import (
    ATTRIBUTE_JSON_KEYS,
    EXT_KEY_USAGES,
    attributes,
    common_name,
    format_ip_network,
    format_name,
    general_name_text,
    printable,
)
from .pem import (
    ASN1_ERRORS,
    asn1_cause,
    check_input_size,
    load_certificates,
    parse_pem_blocks,
    to_pem,
)
from .verify import is_self_signed

__all__ = [
    "FORMATS",
    "OID_STEP_PROVISIONER",
    "PROVISIONER_TYPES",
    "ProvisionerExtension",
    "SignedCertificateTimestamp",
    "csr_signature_problem",
    "decode_provisioner_extension",
    "decode_sct_list",
    "describe",
    "describe_csr",
    "format_csr_short",
    "format_csr_text",
    "format_short",
    "format_text",
    "inspect",
    "key_summary",
    "provisioner_extension",
    "signature_algorithm_name",
]

#: smallstep's provisioner extension (certificates/authority/provisioner).
OID_STEP_PROVISIONER = "1.3.6.1.4.1.37476.9000.64.1"

#: Provisioner type numbers, as smallstep's `provisioner.Type` constants.
PROVISIONER_TYPES = {
    0: "NOOP",
    1: "JWK",
    2: "OIDC",
    3: "GCP",
    4: "AWS",
    5: "Azure",
    6: "ACME",
    7: "X5C",
    8: "K8sSA",
    9: "SSHPOP",
    10: "SCEP",
    11: "Nebula",
}

# Go's x509.SignatureAlgorithm names, by signature algorithm OID.
_SIGNATURE_NAMES = {
    "1.2.840.113549.1.1.2": "MD2-RSA",
    "1.2.840.113549.1.1.4": "MD5-RSA",
    "1.2.840.113549.1.1.5": "SHA1-RSA",
    "1.3.14.3.2.29": "SHA1-RSA",
    "1.2.840.113549.1.1.11": "SHA256-RSA",
    "1.2.840.113549.1.1.12": "SHA384-RSA",
    "1.2.840.113549.1.1.13": "SHA512-RSA",
    "1.2.840.10040.4.3": "DSA-SHA1",
    "2.16.840.1.101.3.4.3.2": "DSA-SHA256",
    "1.2.840.10045.4.1": "ECDSA-SHA1",
    "1.2.840.10045.4.3.2": "ECDSA-SHA256",
    "1.2.840.10045.4.3.3": "ECDSA-SHA384",
    "1.2.840.10045.4.3.4": "ECDSA-SHA512",
    "1.3.101.112": "Ed25519",
}
_OID_RSASSA_PSS = "1.2.840.113549.1.1.10"
_PSS_NAMES = {
    "sha256": "SHA256-RSAPSS",
    "sha384": "SHA384-RSAPSS",
    "sha512": "SHA512-RSAPSS",
}

_CURVE_NAMES = {
    "secp224r1": "P-224",
    "secp256r1": "P-256",
    "secp384r1": "P-384",
    "secp521r1": "P-521",
}

# RFC 5280 section 4.2.1.3, in bit order; (text label, JSON key).
_KEY_USAGES = [
    ("digital_signature", "Digital Signature", "digital_signature"),
    ("non_repudiation", "Content Commitment", "content_commitment"),
    ("key_encipherment", "Key Encipherment", "key_encipherment"),
    ("data_encipherment", "Data Encipherment", "data_encipherment"),
    ("key_agreement", "Key Agreement", "key_agreement"),
    ("key_cert_sign", "Certificate Sign", "certificate_sign"),
    ("crl_sign", "CRL Sign", "crl_sign"),
    ("encipher_only", "Encipher Only", "encipher_only"),
    ("decipher_only", "Decipher Only", "decipher_only"),
]

# Extensions we show by name but whose value stays opaque.
_OPAQUE_NAMES = {
    "1.3.6.1.4.1.11129.2.4.3": "RFC6962 Pre-Certificate Poison",
}
_OID_SCT_LIST = "1.3.6.1.4.1.11129.2.4.2"
# RFC 5246 section 7.4.1.4.1 numbers, as Go's ct package names them.
_TLS_HASHES = {
    0: "NONE",
    1: "MD5",
    2: "SHA1",
    3: "SHA224",
    4: "SHA256",
    5: "SHA384",
    6: "SHA512",
}
_TLS_SIGNATURES = {0: "ANONYMOUS", 1: "RSA", 2: "DSA", 3: "ECDSA"}
_OID_NETSCAPE_COMMENT = "2.16.840.1.113730.1.13"

_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_KEY_BYTES_PER_LINE = 15
_SIGNATURE_BYTES_PER_LINE = 18


# --- the step provisioner extension ------------------------------------------


class _Strings(core.SequenceOf):
    _child_spec = core.Any


class _StepProvisionerASN1(core.Sequence):
    # smallstep's extensionASN1: Type int, Name []byte, CredentialID []byte,
    # KeyValuePairs []string `asn1:"optional,omitempty"`.
    _fields: ClassVar[list] = [
        ("type", core.Integer),
        ("name", core.OctetString),
        ("credential_id", core.OctetString),
        ("key_value_pairs", _Strings, {"optional": True}),
    ]


@dataclasses.dataclass(frozen=True)
class ProvisionerExtension:
    """The provisioner that authorized a certificate, as step-ca records it."""

    type: int
    name: str
    credential_id: str
    key_value_pairs: tuple[str, ...] = ()
    critical: bool = False

    @property
    def type_name(self) -> str:
        """Return "JWK", "OIDC", ... or "<n> (unknown)"."""
        return PROVISIONER_TYPES.get(self.type, f"{self.type} (unknown)")


def decode_provisioner_extension(value: bytes) -> ProvisionerExtension:
    """Decode the DER value of the provisioner extension, or CertificateError."""
    try:
        parsed = _StepProvisionerASN1.load(value, strict=True)
        kind = parsed["type"].native
        name = parsed["name"].native
        credential_id = parsed["credential_id"].native
        pairs = []
        if not isinstance(parsed["key_value_pairs"], core.Void):
            for item in parsed["key_value_pairs"]:
                text = item.parsed
                if not isinstance(text, core.AbstractString):
                    raise TypeError("key-value pair is not a string")
                pairs.append(text.native)
    except ASN1_ERRORS as exc:
        raise CertificateError(
            f"step provisioner extension is malformed: {asn1_cause(exc)}"
        ) from None
    return ProvisionerExtension(
        type=kind,
        name=name.decode("utf-8", "replace"),
        credential_id=credential_id.decode("utf-8", "replace"),
        key_value_pairs=tuple(pairs),
    )


def provisioner_extension(cert: x509.Certificate) -> ProvisionerExtension | None:
    """Return the certificate's provisioner extension, None if absent or bad."""
    for extension in _extensions(cert):
        if extension["extn_id"].dotted == OID_STEP_PROVISIONER:
            try:
                decoded = decode_provisioner_extension(_extension_bytes(extension))
            except CertificateError:
                return None
            return dataclasses.replace(decoded, critical=extension["critical"].native)
    return None


# --- signed certificate timestamps (RFC 6962 section 3.3) --------------------


@dataclasses.dataclass(frozen=True)
class SignedCertificateTimestamp:
    """One SCT of a certificate's SCT list extension."""

    version: int
    log_id: bytes
    timestamp_ms: int
    extensions: bytes
    hash_algorithm: int
    signature_algorithm: int
    signature: bytes

    @property
    def algorithm_name(self) -> str:
        """Go's name, such as "SHA256-ECDSA"."""
        hash_name = _TLS_HASHES.get(self.hash_algorithm, str(self.hash_algorithm))
        signature = _TLS_SIGNATURES.get(
            self.signature_algorithm, str(self.signature_algorithm)
        )
        return f"{hash_name}-{signature}"


class _Reader:
    """TLS presentation-language reader (RFC 5246 section 4) over bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise CertificateError("SCT list is truncated")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def number(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def vector(self, length_size: int) -> bytes:
        return self.take(self.number(length_size))

    def done(self) -> bool:
        return self.pos == len(self.data)


def decode_sct_list(value: bytes) -> list[SignedCertificateTimestamp]:
    """Decode the extension value (an OCTET STRING holding a TLS SCT list)."""
    try:
        inner = core.OctetString.load(value, strict=True).native
    except ASN1_ERRORS as exc:
        raise CertificateError(f"SCT list is malformed: {asn1_cause(exc)}") from None
    outer = _Reader(inner)
    items = _Reader(outer.vector(2))
    if not outer.done():
        raise CertificateError("SCT list has trailing bytes")
    scts = []
    while not items.done():
        item = _Reader(items.vector(2))
        version = item.number(1)
        if version != 0:
            raise CertificateError(f"SCT version {version} is not v1")
        sct = SignedCertificateTimestamp(
            version=version,
            log_id=item.take(32),
            timestamp_ms=item.number(8),
            extensions=item.vector(2),
            hash_algorithm=item.number(1),
            signature_algorithm=item.number(1),
            signature=item.vector(2),
        )
        if not item.done():
            raise CertificateError("SCT has trailing bytes")
        scts.append(sct)
    return scts


def _sct_time(milliseconds: int) -> str:
    # Go layout "Jan 2 15:04:05.000 2006 MST".
    moment = datetime.datetime.fromtimestamp(milliseconds // 1000, datetime.UTC)
    return (
        f"{_MONTHS[moment.month - 1]} {moment.day} {moment:%H:%M:%S}."
        f"{milliseconds % 1000:03d} {moment.year} UTC"
    )


def _sct_lines(scts: list[SignedCertificateTimestamp]) -> list[str]:
    lines = []
    for index, sct in enumerate(scts):
        lines += [
            f"                SCT [{index}]:",
            f"                    Version: V{sct.version + 1} ({hex(sct.version)})",
            f"                    LogID: {_b64(sct.log_id)}",
            f"                    Timestamp: {_sct_time(sct.timestamp_ms)}",
            f"                    Signature Algorithm: {sct.algorithm_name}",
        ]
        lines += _hex_lines(sct.signature, _SIGNATURE_BYTES_PER_LINE, 22)
    return lines


def _sct_json(scts: list[SignedCertificateTimestamp]) -> list[dict[str, Any]]:
    return [
        {
            "version": sct.version,
            "log_id": _b64(sct.log_id),
            "timestamp": sct.timestamp_ms // 1000,
            "timestamp_ms": sct.timestamp_ms,
            "extensions": _b64(sct.extensions),
            "signature": {
                "algorithm": sct.algorithm_name,
                "value": _b64(sct.signature),
            },
        }
        for sct in scts
    ]


# --- small pieces shared by the three forms ----------------------------------


def signature_algorithm_name(algorithm: algos.SignedDigestAlgorithm) -> str:
    """Return Go's name for a signature algorithm, or its dotted OID."""
    oid = algorithm["algorithm"].dotted
    if oid == _OID_RSASSA_PSS:
        try:
            return _PSS_NAMES.get(algorithm.hash_algo, oid)
        except ASN1_ERRORS:
            return oid
    return _SIGNATURE_NAMES.get(oid, oid)


def key_summary(public_key: keys.PublicKeyInfo) -> dict[str, Any]:
    """Return the algorithm (Go's name), size in bits and curve of a key."""
    oid = public_key["algorithm"]["algorithm"].dotted
    kind = public_key["algorithm"]["algorithm"].native
    if kind == "rsa":
        modulus = public_key["public_key"].parsed["modulus"].native
        return {"algorithm": "RSA", "size": modulus.bit_length(), "curve": None}
    if kind == "ec":
        curve_kind, curve = public_key.curve
        if curve_kind != "named" or curve not in _CURVE_NAMES:
            return {"algorithm": "ECDSA", "size": None, "curve": "unknown"}
        return {
            "algorithm": "ECDSA",
            "size": public_key.bit_size,
            "curve": _CURVE_NAMES[curve],
        }
    if kind == "ed25519":
        return {"algorithm": "Ed25519", "size": 256, "curve": None}
    if kind == "dsa":
        q = public_key["algorithm"]["parameters"]["q"].native
        return {"algorithm": "DSA", "size": q.bit_length(), "curve": None}
    return {"algorithm": oid, "size": None, "curve": None}


def _extensions(cert: x509.Certificate) -> list[x509.Extension]:
    extensions = cert["tbs_certificate"]["extensions"]
    return [] if isinstance(extensions, core.Void) else list(extensions)


def _extension_bytes(extension: x509.Extension) -> bytes:
    return bytes(extension["extn_value"].contents or b"")


def _version(cert: x509.Certificate) -> int:
    version = cert["tbs_certificate"]["version"].native
    # asn1crypto names v1..v3 and leaves other values as the raw integer.
    return int(version[1:]) if isinstance(version, str) else version + 1


def _go_date(moment: datetime.datetime) -> str:
    # Go layout "Jan 2 15:04:05 2006 MST"; months spelled without the locale.
    moment = moment.astimezone(datetime.UTC)
    return (
        f"{_MONTHS[moment.month - 1]} {moment.day} {moment:%H:%M:%S} {moment.year} UTC"
    )


def _rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _serial_hex(serial: int) -> str:
    magnitude = abs(serial)
    size = max(1, (magnitude.bit_length() + 7) // 8)
    return "0x" + magnitude.to_bytes(size, "big").hex()


def _colon_hex(data: bytes, *, upper: bool = False) -> str:
    text = ":".join(f"{b:02x}" for b in data)
    return text.upper() if upper else text


def _hex_lines(data: bytes, per_line: int, indent: int) -> list[str]:
    pad = " " * indent
    return [
        pad
        + _colon_hex(data[i : i + per_line])
        + (":" if i + per_line < len(data) else "")
        for i in range(0, len(data), per_line)
    ]


def _int_bytes(value: int) -> bytes:
    value = abs(value)  # only a malformed key has a negative number
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _general_names(names: x509.GeneralNames) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for general_name in names:
        kind, text = general_name_text(general_name)
        grouped.setdefault(kind, []).append(text)
    return grouped


def _sans(extensions: list[x509.Extension]) -> dict[str, list[str]]:
    for extension in extensions:
        if extension["extn_id"].dotted == "2.5.29.17":
            return _general_names(extension["extn_value"].parsed)
    return {}


def _guarded(what: str):
    """Turn asn1crypto errors inside a formatter into CertificateError."""

    def wrap(function):
        @functools.wraps(function)
        def run(cert: x509.Certificate, *args: Any, **kwargs: Any):
            try:
                return function(cert, *args, **kwargs)
            except ASN1_ERRORS as exc:
                raise CertificateError(
                    f"cannot {what} the certificate: {asn1_cause(exc)}"
                ) from None

        return run

    return wrap


# --- the text form -----------------------------------------------------------


@_guarded("format")
def format_text(cert: x509.Certificate) -> str:
    """Return the certificate in the layout of `step certificate inspect`."""
    tbs = cert["tbs_certificate"]
    version = _version(cert)
    serial = tbs["serial_number"].native
    signature_name = signature_algorithm_name(cert["signature_algorithm"])
    lines = [
        "Certificate:",
        "    Data:",
        f"        Version: {version} ({hex(max(version - 1, 0))})",
        f"        Serial Number: {serial} ({_serial_hex(serial)})",
        f"        Signature Algorithm: {signature_name}",
        _labelled("        Issuer:", format_name(tbs["issuer"])),
        "        Validity",
        f"            Not Before: {_go_date(tbs['validity']['not_before'].native)}",
        f"            Not After : {_go_date(tbs['validity']['not_after'].native)}",
        _labelled("        Subject:", format_name(tbs["subject"])),
        "        Subject Public Key Info:",
    ]
    lines += _public_key_lines(tbs["subject_public_key_info"])

    for field, label in (
        ("issuer_unique_id", "Issuer Unique ID"),
        ("subject_unique_id", "Subject Unique ID"),
    ):
        unique_id = tbs[field].native
        if unique_id is not None:
            lines.append(f"        {label}: {_colon_hex(_bit_bytes(tbs[field]))}")

    extensions = _extensions(cert)
    if version == 3 and extensions:
        lines.append("        X509v3 extensions:")
        for extension in extensions:
            lines += _extension_lines(extension)

    lines.append(f"    Signature Algorithm: {signature_name}")
    lines += _hex_lines(cert["signature_value"].native, _SIGNATURE_BYTES_PER_LINE, 9)
    return "\n".join(lines) + "\n"


def _labelled(label: str, value: str) -> str:
    return f"{label} {value}" if value else label


def _bit_bytes(value: core.Asn1Value) -> bytes:
    # A BIT STRING's contents: one byte of unused-bit count, then the bits.
    return bytes(value.contents or b"")[1:]


def _public_key_lines(public_key: keys.PublicKeyInfo) -> list[str]:
    summary = key_summary(public_key)
    algorithm = summary["algorithm"]
    lines = [f"            Public Key Algorithm: {algorithm}"]
    indent = "                "
    if algorithm == "RSA":
        parsed = public_key["public_key"].parsed
        modulus = parsed["modulus"].native
        exponent = parsed["public_exponent"].native
        lines.append(f"{indent}Public-Key: ({summary['size']} bit)")
        lines.append(f"{indent}Modulus:")
        lines += _hex_lines(_int_bytes(modulus), _KEY_BYTES_PER_LINE, 20)
        lines.append(f"{indent}Exponent: {exponent} ({hex(exponent)})")
    elif algorithm == "ECDSA":
        lines.append(f"{indent}Public-Key: ({summary['size']} bit)")
        try:
            x, y = public_key["public_key"].to_coords()
        except ASN1_ERRORS:
            x = y = None
        if x is not None and y is not None:
            lines.append(f"{indent}X:")
            lines += _hex_lines(_int_bytes(x), _KEY_BYTES_PER_LINE, 20)
            lines.append(f"{indent}Y:")
            lines += _hex_lines(_int_bytes(y), _KEY_BYTES_PER_LINE, 20)
        lines.append(f"{indent}Curve: {summary['curve']}")
    elif algorithm == "Ed25519":
        lines.append(f"{indent}Public-Key: ({summary['size']} bit)")
        raw = public_key["public_key"].native
        lines += _hex_lines(raw, _KEY_BYTES_PER_LINE, 20)
    else:
        lines.append(f"{indent}Raw Bytes:")
        lines += _hex_lines(
            _bit_bytes(public_key["public_key"]), _KEY_BYTES_PER_LINE, 20
        )
    return lines


def _extension_lines(extension: x509.Extension) -> list[str]:
    oid = extension["extn_id"].dotted
    critical = " critical" if extension["critical"].native else ""
    value = extension["extn_value"]
    body = "                "

    def header(title: str) -> list[str]:
        return [f"            {title}:{critical}"]

    if oid == "2.5.29.14":
        return header("X509v3 Subject Key Identifier") + [
            body + _colon_hex(value.parsed.native, upper=True)
        ]
    if oid == "2.5.29.15":
        names = _key_usage_labels(value.parsed)
        return header("X509v3 Key Usage") + [body + (", ".join(names) or "None")]
    if oid == "2.5.29.37":
        labels = [EXT_KEY_USAGES.get(o.dotted, (o.dotted, ""))[0] for o in value.parsed]
        return header("X509v3 Extended Key Usage") + [body + ", ".join(labels)]
    if oid == "2.5.29.19":
        constraints = value.parsed.native
        text = "CA:TRUE" if constraints["ca"] else "CA:FALSE"
        if constraints["path_len_constraint"] is not None:
            text += f", pathlen:{constraints['path_len_constraint']}"
        return header("X509v3 Basic Constraints") + [body + text]
    if oid == "2.5.29.35":
        return header("X509v3 Authority Key Identifier") + _aki_lines(value.parsed)
    if oid == "2.5.29.17":
        return header("X509v3 Subject Alternative Name") + _san_lines(value.parsed)
    if oid == "2.5.29.30":
        return header("X509v3 Name Constraints") + _name_constraint_lines(value.parsed)
    if oid == "2.5.29.31":
        return header("X509v3 CRL Distribution Points") + _crl_lines(value.parsed)
    if oid == "2.5.29.32":
        return header("X509v3 Certificate Policies") + _policy_lines(value.parsed)
    if oid == "1.3.6.1.5.5.7.1.1":
        return header("Authority Information Access") + _aia_lines(value.parsed)
    if oid == OID_STEP_PROVISIONER:
        try:
            provisioner = decode_provisioner_extension(_extension_bytes(extension))
        except CertificateError:
            return header(f"{oid} (malformed step provisioner)") + _hex_lines(
                _extension_bytes(extension), _SIGNATURE_BYTES_PER_LINE, 16
            )
        lines = header("X509v3 Step Provisioner") + [
            f"{body}Type: {provisioner.type_name}",
            f"{body}Name: {printable(provisioner.name)}",
        ]
        if provisioner.credential_id:
            lines.append(f"{body}CredentialID: {printable(provisioner.credential_id)}")
        pairs = [printable(text) for text in provisioner.key_value_pairs]
        for i in range(0, len(pairs), 2):
            pair_value = pairs[i + 1] if i + 1 < len(pairs) else "-"
            lines.append(f"{body}{pairs[i]}: {pair_value}")
        return lines
    if oid == _OID_SCT_LIST:
        try:
            scts = decode_sct_list(_extension_bytes(extension))
        except CertificateError:
            scts = None
        if scts is not None:
            return header("RFC6962 Certificate Transparency SCT") + _sct_lines(scts)
    if oid == _OID_NETSCAPE_COMMENT:
        comment = _string_value(_extension_bytes(extension))
        if comment is not None:
            return header("Netscape Comment") + [body + printable(comment)]

    title = _OPAQUE_NAMES.get(oid, oid)
    return header(title) + _hex_lines(
        _extension_bytes(extension), _SIGNATURE_BYTES_PER_LINE, 16
    )


def _policy_lines(policies: x509.CertificatePolicies) -> list[str]:
    lines = []
    for policy in policies:
        lines.append(f"                Policy: {policy['policy_identifier'].dotted}")
        qualifiers = policy["policy_qualifiers"]
        if isinstance(qualifiers, core.Void):
            continue
        for qualifier in qualifiers:
            kind = qualifier["policy_qualifier_id"].native
            detail = qualifier["qualifier"].native
            if kind == "certification_practice_statement":
                lines.append(f"                  CPS: {printable(str(detail))}")
            elif kind == "user_notice":
                text = (detail or {}).get("explicit_text")
                lines.append(
                    f"                  User Notice: {printable(str(text or ''))}"
                )
    return lines


def _policies_json(policies: x509.CertificatePolicies) -> list[dict[str, Any]]:
    result = []
    for policy in policies:
        entry: dict[str, Any] = {"id": policy["policy_identifier"].dotted}
        qualifiers = policy["policy_qualifiers"]
        if not isinstance(qualifiers, core.Void):
            for qualifier in qualifiers:
                kind = qualifier["policy_qualifier_id"].native
                detail = qualifier["qualifier"].native
                if kind == "certification_practice_statement":
                    entry.setdefault("cps", []).append(str(detail))
                elif kind == "user_notice":
                    text = (detail or {}).get("explicit_text")
                    entry.setdefault("user_notice", []).append(str(text or ""))
        result.append(entry)
    return result


def _string_value(der: bytes) -> str | None:
    try:
        parsed = core.Asn1Value.load(der, strict=True)
        if isinstance(parsed, core.AbstractString):
            return parsed.native
    except ASN1_ERRORS:
        pass
    return None


def _key_usage_labels(key_usage: x509.KeyUsage) -> list[str]:
    present = key_usage.native
    return [label for name, label, _ in _KEY_USAGES if name in present]


def _aki_lines(aki: x509.AuthorityKeyIdentifier) -> list[str]:
    body = "                "
    lines = []
    key_id = aki["key_identifier"].native
    if key_id is not None:
        lines.append(f"{body}{_colon_hex(key_id, upper=True)}")
    issuer = aki["authority_cert_issuer"]
    if issuer.native is not None:
        for general_name in issuer:
            kind, text = general_name_text(general_name)
            lines.append(f"{body}{kind}:{text}")
    serial = aki["authority_cert_serial_number"].native
    if serial is not None:
        lines.append(f"{body}serial:{_colon_hex(_int_bytes(abs(serial)), upper=True)}")
    return lines


def _san_lines(names: x509.GeneralNames) -> list[str]:
    # As step: one line per kind for the four common kinds, then one line for
    # each other name.
    grouped = _general_names(names)
    lines = []
    order = ["DNS", "email", "IP Address", "URI"]
    for kind in order:
        if kind in grouped:
            joined = ", ".join(f"{kind}:{text}" for text in grouped[kind])
            lines.append("                " + joined)
    for general_name in names:
        kind, text = general_name_text(general_name)
        if kind in order:
            continue
        if general_name.name == "other_name":
            lines.append("                " + _other_name_text(general_name.chosen))
        else:
            lines.append(f"                {kind}:{text}")
    return lines


_OID_UPN = "1.3.6.1.4.1.311.20.2.3"


def _other_name_text(other: x509.AnotherName) -> str:
    type_id = other["type_id"].dotted
    if type_id == _OID_UPN:
        try:
            # The UTF8String inside the [0] EXPLICIT wrapper.
            der = parser.parse(other["value"].dump())[4]
            inner = core.UTF8String.load(der, strict=True).native
        except ASN1_ERRORS:
            inner = None
        if isinstance(inner, str):
            return f"UPN: {printable(inner)}"
    _, text = general_name_text(x509.GeneralName(name="other_name", value=other))
    return f"OtherName: {text}"


def _name_constraint_lines(constraints: x509.NameConstraints) -> list[str]:
    labels = {"DNS": "DNS", "email": "Email", "URI": "URI", "DirName": "DirName"}
    lines = []
    for field, title in (
        ("permitted_subtrees", "Permitted"),
        ("excluded_subtrees", "Excluded"),
    ):
        subtrees = constraints[field]
        if subtrees.native is None:
            continue
        grouped: dict[str, list[str]] = {}
        for subtree in subtrees:
            base = subtree["base"]
            if base.name == "ip_address":
                kind, text = "IP Range", format_ip_network(bytes(base.chosen.contents))
            else:
                kind, text = general_name_text(base)
                kind = labels.get(kind, kind)
            grouped.setdefault(kind, []).append(text)
        lines.append(f"                {title}:")
        for kind, texts in grouped.items():
            lines.append(f"                  {kind}: {', '.join(texts)}")
    return lines


def _name_constraints_json(constraints: x509.NameConstraints) -> dict[str, Any]:
    keys_by_kind = {
        "DNS": "dns_names",
        "email": "email_addresses",
        "URI": "uris",
        "DirName": "directory_names",
    }
    result: dict[str, Any] = {}
    for field, prefix in (
        ("permitted_subtrees", "permitted"),
        ("excluded_subtrees", "excluded"),
    ):
        subtrees = constraints[field]
        if subtrees.native is None:
            continue
        for subtree in subtrees:
            base = subtree["base"]
            if base.name == "ip_address":
                key = "ip_ranges"
                text = format_ip_network(bytes(base.chosen.contents))
            else:
                kind, text = general_name_text(base)
                key = keys_by_kind.get(kind, "other_names")
            result.setdefault(f"{prefix}_{key}", []).append(text)
    return result


def _crl_uris(points: x509.CRLDistributionPoints) -> list[str]:
    texts = []
    for point in points:
        name = point["distribution_point"]
        if not isinstance(name, core.Void) and name.name == "full_name":
            texts += [
                general_name_text(general_name)[1] for general_name in name.chosen
            ]
    return texts


def _crl_lines(points: x509.CRLDistributionPoints) -> list[str]:
    uris = _crl_uris(points)
    if not uris:
        return []
    joined = ", ".join(f"URI:{uri}" for uri in uris)
    return ["                Full Name:", "                  " + joined]


def _aia_lines(access: x509.AuthorityInfoAccessSyntax) -> list[str]:
    ocsp, issuers = _aia(access)
    lines = []
    if ocsp:
        lines.append("                OCSP - " + ",".join(f"URI:{u}" for u in ocsp))
    if issuers:
        lines.append(
            "                CA Issuers - " + ",".join(f"URI:{u}" for u in issuers)
        )
    return lines


def _aia(access: x509.AuthorityInfoAccessSyntax) -> tuple[list[str], list[str]]:
    ocsp, issuers = [], []
    for description in access:
        method = description["access_method"].dotted
        kind, text = general_name_text(description["access_location"])
        if kind != "URI":
            continue
        if method == "1.3.6.1.5.5.7.48.1":
            ocsp.append(text)
        elif method == "1.3.6.1.5.5.7.48.2":
            issuers.append(text)
    return ocsp, issuers


# --- the short form ----------------------------------------------------------


def _abbreviated(text: str) -> str:
    return text if len(text) <= 8 else f"{text[:4]}...{text[-4:]}"


def _short_key(public_key: keys.PublicKeyInfo) -> str:
    summary = key_summary(public_key)
    if summary["algorithm"] == "ECDSA":
        return f"ECDSA {summary['curve']}"
    if summary["algorithm"] == "RSA":
        # Go prints the modulus size in whole bytes, as bits.
        return f"RSA {(summary['size'] + 7) // 8 * 8}"
    if summary["size"] is not None:
        return f"{summary['algorithm']} {summary['size']}"
    return summary["algorithm"]


def _certificate_type(cert: x509.Certificate) -> str:
    constraints = cert.basic_constraints_value
    if constraints is None or not constraints["ca"].native:
        return "TLS"
    return "Root CA" if is_self_signed(cert) else "Intermediate CA"


def _subject_lines(subject: x509.Name, extensions: list[x509.Extension]) -> list[str]:
    # The common name first, then the SANs that differ from it, by kind.
    cn = printable(common_name(subject))
    names = [cn] if cn else []
    grouped = _sans(extensions)
    for kind in ("DNS", "IP Address", "email", "URI"):
        names += [text for text in grouped.get(kind, []) if text != cn]
    if not names:
        return ["  Subject:"]
    return [
        ("  Subject:     " if index == 0 else "               ") + name
        for index, name in enumerate(names)
    ]


@_guarded("format")
def format_short(cert: x509.Certificate) -> str:
    """Return the certificate in the layout of `step certificate inspect --short`."""
    tbs = cert["tbs_certificate"]
    heading = (
        f"X.509v{_version(cert)} {_certificate_type(cert)} Certificate "
        f"({_short_key(tbs['subject_public_key_info'])}) "
        f"[Serial: {_abbreviated(str(tbs['serial_number'].native))}]"
    )
    lines = [heading, *_subject_lines(tbs["subject"], _extensions(cert))]
    lines.append(f"  Issuer:      {printable(common_name(tbs['issuer']))}".rstrip())
    provisioner = provisioner_extension(cert)
    if provisioner is not None:
        line = f"  Provisioner: {printable(provisioner.name)}"
        if provisioner.credential_id:
            line += f" [ID: {printable(_abbreviated(provisioner.credential_id))}]"
        lines.append(line)
    lines.append(f"  Valid from:  {_rfc3339(tbs['validity']['not_before'].native)}")
    lines.append(f"          to:  {_rfc3339(tbs['validity']['not_after'].native)}")
    return "\n".join(lines) + "\n"


# --- the JSON form -----------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.standard_b64encode(data).decode("ascii")


def _name_json(name: x509.Name) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for oid, value in attributes(name):
        result.setdefault(ATTRIBUTE_JSON_KEYS.get(oid, oid), []).append(value)
    return result


def _signature_algorithm_json(algorithm: algos.SignedDigestAlgorithm) -> dict[str, str]:
    return {
        "name": signature_algorithm_name(algorithm),
        "oid": algorithm["algorithm"].dotted,
    }


def _key_json(public_key: keys.PublicKeyInfo) -> dict[str, Any]:
    summary = key_summary(public_key)
    info: dict[str, Any] = {"key_algorithm": {"name": summary["algorithm"]}}
    if summary["algorithm"] == "RSA":
        parsed = public_key["public_key"].parsed
        info["rsa_public_key"] = {
            "exponent": parsed["public_exponent"].native,
            "modulus": _b64(_int_bytes(parsed["modulus"].native)),
            "length": summary["size"],
        }
    elif summary["algorithm"] == "ECDSA":
        key: dict[str, Any] = {"curve": summary["curve"], "length": summary["size"]}
        try:
            x, y = public_key["public_key"].to_coords()
            key["x"], key["y"] = _b64(_int_bytes(x)), _b64(_int_bytes(y))
        except ASN1_ERRORS:
            pass
        info["ecdsa_public_key"] = key
    elif summary["algorithm"] == "Ed25519":
        info["ed25519_public_key"] = {
            "public_key": _b64(public_key["public_key"].native),
            "length": summary["size"],
        }
    info["fingerprint_sha256"] = fingerprint(public_key.dump())
    return info


def _general_names_json(names: x509.GeneralNames) -> dict[str, list[str]]:
    keys_by_kind = {
        "DNS": "dns_names",
        "email": "email_addresses",
        "IP Address": "ip_addresses",
        "URI": "uniform_resource_identifiers",
        "DirName": "directory_names",
        "Registered ID": "registered_ids",
        "OtherName": "other_names",
    }
    result: dict[str, list[str]] = {}
    for kind, texts in _general_names(names).items():
        result.setdefault(keys_by_kind.get(kind, kind), []).extend(texts)
    return result


def _extensions_json(
    extensions: list[x509.Extension],
) -> tuple[dict[str, Any], list[dict]]:
    known: dict[str, Any] = {}
    unknown: list[dict[str, Any]] = []
    for extension in extensions:
        oid = extension["extn_id"].dotted
        value = extension["extn_value"]
        if oid == "2.5.29.15":
            present = value.parsed.native
            usage: dict[str, Any] = {
                key: True for name, _, key in _KEY_USAGES if name in present
            }
            usage["value"] = sum(
                1 << bit
                for bit, (name, _, _) in enumerate(_KEY_USAGES)
                if name in present
            )
            known["key_usage"] = usage
        elif oid == "2.5.29.19":
            constraints = value.parsed.native
            basic: dict[str, Any] = {"is_ca": constraints["ca"]}
            if constraints["path_len_constraint"] is not None:
                basic["max_path_len"] = constraints["path_len_constraint"]
            known["basic_constraints"] = basic
        elif oid == "2.5.29.17":
            known["subject_alt_name"] = _general_names_json(value.parsed)
        elif oid == "2.5.29.14":
            known["subject_key_id"] = value.parsed.native.hex()
        elif oid == "2.5.29.35":
            key_id = value.parsed["key_identifier"].native
            if key_id is not None:
                known["authority_key_id"] = key_id.hex()
        elif oid == "2.5.29.37":
            extended: dict[str, Any] = {}
            for purpose in value.parsed:
                entry = EXT_KEY_USAGES.get(purpose.dotted)
                if entry is None:
                    extended.setdefault("unknown", []).append(purpose.dotted)
                else:
                    extended[entry[1]] = True
            known["extended_key_usage"] = extended
        elif oid == "2.5.29.30":
            known["name_constraints"] = _name_constraints_json(value.parsed)
            known["name_constraints"]["critical"] = extension["critical"].native
        elif oid == "2.5.29.31":
            known["crl_distribution_points"] = _crl_uris(value.parsed)
        elif oid == "2.5.29.32":
            known["certificate_policies"] = _policies_json(value.parsed)
        elif oid == "1.3.6.1.5.5.7.1.1":
            ocsp, issuers = _aia(value.parsed)
            known["authority_info_access"] = {"ocsp_urls": ocsp, "issuer_urls": issuers}
        elif oid == _OID_SCT_LIST:
            try:
                known["signed_certificate_timestamps"] = _sct_json(
                    decode_sct_list(_extension_bytes(extension))
                )
            except CertificateError:
                unknown.append(_unknown_json(extension))
        elif oid == OID_STEP_PROVISIONER:
            try:
                provisioner = decode_provisioner_extension(_extension_bytes(extension))
            except CertificateError:
                unknown.append(_unknown_json(extension))
                continue
            known["step_provisioner"] = {
                "type": provisioner.type_name,
                "name": provisioner.name,
                "credential_id": provisioner.credential_id,
                "key_value_pairs": list(provisioner.key_value_pairs),
            }
        else:
            unknown.append(_unknown_json(extension))
    return known, unknown


def _unknown_json(extension: x509.Extension) -> dict[str, Any]:
    return {
        "id": extension["extn_id"].dotted,
        "critical": extension["critical"].native,
        "value": _b64(_extension_bytes(extension)),
        "hex": _extension_bytes(extension).hex(),
    }


@_guarded("describe")
def describe(cert: x509.Certificate) -> dict[str, Any]:
    """Return a JSON-able description, with the field names of step's JSON."""
    tbs = cert["tbs_certificate"]
    not_before = tbs["validity"]["not_before"].native
    not_after = tbs["validity"]["not_after"].native
    extensions, unknown = _extensions_json(_extensions(cert))
    der = cert.dump()
    signature_algorithm = _signature_algorithm_json(cert["signature_algorithm"])
    description: dict[str, Any] = {
        "version": _version(cert),
        "serial_number": str(tbs["serial_number"].native),
        "signature_algorithm": signature_algorithm,
        "issuer": _name_json(tbs["issuer"]),
        "issuer_dn": format_name(tbs["issuer"]),
        "validity": {
            "start": _rfc3339(not_before),
            "end": _rfc3339(not_after),
            "length": int((not_after - not_before).total_seconds()),
        },
        "subject": _name_json(tbs["subject"]),
        "subject_dn": format_name(tbs["subject"]),
        "subject_key_info": _key_json(tbs["subject_public_key_info"]),
        "extensions": extensions,
        "signature": {
            "signature_algorithm": signature_algorithm,
            "value": _b64(cert["signature_value"].native),
            "self_signed": is_self_signed(cert),
        },
        "fingerprint_sha1": fingerprint(der, "sha1"),
        "fingerprint_sha256": fingerprint(der),
    }
    if unknown:
        description["unknown_extensions"] = unknown
    return description


# --- certificate requests ----------------------------------------------------


def _requested_extensions(request: csr.CertificationRequest) -> list[x509.Extension]:
    attributes = request["certification_request_info"]["attributes"]
    if isinstance(attributes, core.Void):
        return []
    extensions: list[x509.Extension] = []
    for attribute in attributes:
        if attribute["type"].native == "extension_request":
            for value in attribute["values"]:
                extensions += list(value)
    return extensions


def csr_signature_problem(request: csr.CertificationRequest) -> str | None:
    """None when the CSR's self-signature verifies, else why it does not."""
    try:
        check_csr_signature(request)
    except (CryptoError, InputError) as exc:
        return str(exc) or "the signature does not verify"
    except ASN1_ERRORS as exc:
        return asn1_cause(exc)
    return None


def _signature_status(request: csr.CertificationRequest) -> str:
    problem = csr_signature_problem(request)
    return "valid" if problem is None else f"INVALID ({problem})"


def _csr_version(request: csr.CertificationRequest) -> int:
    version = request["certification_request_info"]["version"].native
    # PKCS #10 version 1 is encoded as 0, which asn1crypto names "v1".
    return 0 if version == "v1" else version


def format_csr_text(request: csr.CertificationRequest) -> str:
    """Return a CSR in the layout of `step certificate inspect`."""
    try:
        info = request["certification_request_info"]
        version = _csr_version(request)
        lines = [
            "Certificate Request:",
            "    Data:",
            f"        Version: {version} ({hex(max(version - 1, 0))})",
            _labelled("        Subject:", format_name(info["subject"])),
            "        Subject Public Key Info:",
            *_public_key_lines(info["subject_pk_info"]),
        ]
        extensions = _requested_extensions(request)
        if extensions:
            lines.append("        Requested Extensions:")
            for extension in extensions:
                lines += _extension_lines(extension)
        algorithm = request["signature_algorithm"]
        lines.append(f"    Signature Algorithm: {signature_algorithm_name(algorithm)}")
        lines += _hex_lines(request["signature"].native, _SIGNATURE_BYTES_PER_LINE, 9)
        lines.append(f"    Signature: {_signature_status(request)}")
    except ASN1_ERRORS as exc:
        raise CertificateError(
            f"cannot format the request: {asn1_cause(exc)}"
        ) from None
    return "\n".join(lines) + "\n"


def format_csr_short(request: csr.CertificationRequest) -> str:
    """Return a CSR in the layout of `step certificate inspect --short`."""
    try:
        info = request["certification_request_info"]
        key = _short_key(info["subject_pk_info"])
        lines = [f"X.509v3 Certificate Signing Request ({key})"]
        lines += _subject_lines(info["subject"], _requested_extensions(request))
        lines.append(f"  Signature:   {_signature_status(request)}")
    except ASN1_ERRORS as exc:
        raise CertificateError(
            f"cannot format the request: {asn1_cause(exc)}"
        ) from None
    return "\n".join(lines) + "\n"


def describe_csr(request: csr.CertificationRequest) -> dict[str, Any]:
    """Return a JSON-able description of a CSR, in the style of `describe`."""
    try:
        info = request["certification_request_info"]
        extensions, unknown = _extensions_json(_requested_extensions(request))
        algorithm = _signature_algorithm_json(request["signature_algorithm"])
        description: dict[str, Any] = {
            "version": _csr_version(request),
            "signature_algorithm": algorithm,
            "subject": _name_json(info["subject"]),
            "subject_dn": format_name(info["subject"]),
            "subject_key_info": _key_json(info["subject_pk_info"]),
            "extensions": extensions,
            "signature": {
                "signature_algorithm": algorithm,
                "value": _b64(request["signature"].native),
                "valid": csr_signature_problem(request) is None,
            },
        }
    except ASN1_ERRORS as exc:
        raise CertificateError(
            f"cannot describe the request: {asn1_cause(exc)}"
        ) from None
    if unknown:
        description["unknown_extensions"] = unknown
    return description


# --- the inspect command -----------------------------------------------------

#: Output formats of `inspect`.
FORMATS = ("text", "short", "json", "pem")


def inspect(
    data: bytes, *, source: str, format: str = "text", bundle: bool = False
) -> str:
    """Render a certificate file (or a CSR) as `step certificate inspect` does.

    `format` is one of FORMATS; without `bundle` only the first certificate of
    the file is shown.
    """
    if format not in FORMATS:
        raise InputError(f"format '{format}' is not one of {', '.join(FORMATS)}")
    check_input_size(data, source=source)

    if b"-----BEGIN" in data:
        blocks = parse_pem_blocks(data, source=source)
        if blocks and blocks[0][0] in CSR_LABELS:
            return _inspect_csr(parse_csr(data, source=source), format)
        certificates = load_certificates(data, source=source)
    else:
        try:
            certificates = load_certificates(data, source=source)
        except InputError as not_a_certificate:
            try:  # a DER file may hold a CSR instead
                request = parse_csr(data, source=source)
            except InputError:
                raise not_a_certificate from None
            return _inspect_csr(request, format)

    if not bundle:
        certificates = certificates[:1]
    if format == "json":
        described = [describe(cert) for cert in certificates]
        return json.dumps(described if bundle else described[0], indent=2) + "\n"
    if format == "pem":
        return b"".join(to_pem("CERTIFICATE", c.dump()) for c in certificates).decode()
    render = format_short if format == "short" else format_text
    return "\n".join(render(cert) for cert in certificates)


def _inspect_csr(request: csr.CertificationRequest, format: str) -> str:
    if format == "json":
        return json.dumps(describe_csr(request), indent=2) + "\n"
    if format == "pem":
        return to_pem("CERTIFICATE REQUEST", request.dump()).decode()
    if format == "short":
        return format_csr_short(request)
    return format_csr_text(request)
