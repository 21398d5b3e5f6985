"""Certificate path building and validation (RFC 5280 section 6, Go-like).

`verify_chain` builds a path from a leaf through any of the given intermediates
(any order, duplicates tolerated) to a trust anchor and validates it. A trust
anchor is a root matched by subject name and public key; its own signature is
never checked. The search is depth-first, tries the likeliest issuer first
(anchors, then matching key identifiers, then certificates valid now), detects
loops, and gives up after a fixed number of certificates and signature checks.

Checked: every signature on the path, validity at the given time, CA basic
constraints and pathLen on issuers, keyCertSign when an issuer has a key usage,
name constraints, unknown critical extensions, the extended key usage of
every certificate that has one, and for the leaf the host name (DNS with one
left-most wildcard label, IP addresses by value; never the subject's common
name).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import time
import urllib.parse
from dataclasses import dataclass, field

from asn1crypto import core, x509

from .crypto.keys import verify_signature
from .errors import CryptoError, InputError, InvalidSignature, VerificationError
from .names import (
    EXT_KEY_USAGES,
    attributes,
    format_name,
    general_name_text,
    ia5_text,
    valid_dns_name,
)
from .pem import ASN1_ERRORS, asn1_cause

__all__ = [
    "MAX_CHAIN_LENGTH",
    "MAX_INTERMEDIATES",
    "MAX_SIGNATURE_CHECKS",
    "USAGES",
    "check_signature",
    "is_self_signed",
    "verify_chain",
]

#: The longest path accepted, leaf and trust anchor included.
MAX_CHAIN_LENGTH = 10
#: Signature checks one call may spend before giving up.
MAX_SIGNATURE_CHECKS = 100
#: Intermediates one call accepts as input.
MAX_INTERMEDIATES = 100
#: Name-against-constraint comparisons one issuer may cost (a chain with
#: thousands of names and constraints is refused, not ground through).
MAX_NAME_CONSTRAINT_CHECKS = 65536
#: The smallest RSA modulus accepted anywhere on a path, trust anchor included.
MIN_RSA_BITS = 2048

#: `usage` names and the extended key usage each requires; any dotted OID is
#: accepted as well.
USAGES = {"server": "1.3.6.1.5.5.7.3.1", "client": "1.3.6.1.5.5.7.3.2"}
_ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0"

_OID_KEY_USAGE = "2.5.29.15"
_OID_SUBJECT_ALT_NAME = "2.5.29.17"
_OID_BASIC_CONSTRAINTS = "2.5.29.19"
_OID_NAME_CONSTRAINTS = "2.5.29.30"
_OID_EXTENDED_KEY_USAGE = "2.5.29.37"
_OID_EMAIL_ADDRESS = "1.2.840.113549.1.9.1"

# Critical extensions this module understands. Certificate policies are
# accepted without policy processing, as Go did before 1.22.
_HANDLED_CRITICAL = frozenset(
    {
        "2.5.29.14",  # subject key identifier
        _OID_KEY_USAGE,
        _OID_SUBJECT_ALT_NAME,
        _OID_BASIC_CONSTRAINTS,
        _OID_NAME_CONSTRAINTS,
        "2.5.29.32",  # certificate policies
        "2.5.29.35",  # authority key identifier
        _OID_EXTENDED_KEY_USAGE,
    }
)


#: Signatures found good in this process, by a hash of the issuer's key and the
#: whole certificate: whether a signature verifies depends on nothing else, so
#: a renewal need not check the intermediate against the root every time.
_GOOD_SIGNATURES: dict[bytes, None] = {}
_GOOD_SIGNATURES_MAX = 256


def check_signature(cert: x509.Certificate, issuer_spki_der: bytes) -> None:
    """Check `cert`'s signature with an issuer's key; raise InvalidSignature."""
    memo = hashlib.sha256()
    memo.update(len(issuer_spki_der).to_bytes(4, "big") + issuer_spki_der)
    memo.update(cert.dump())
    seen = memo.digest()
    if seen in _GOOD_SIGNATURES:
        return
    _check_signature(cert, issuer_spki_der)
    if len(_GOOD_SIGNATURES) >= _GOOD_SIGNATURES_MAX:
        del _GOOD_SIGNATURES[next(iter(_GOOD_SIGNATURES))]
    _GOOD_SIGNATURES[seen] = None


def _check_signature(cert: x509.Certificate, issuer_spki_der: bytes) -> None:
    tbs = cert["tbs_certificate"]
    # RFC 5280 section 4.1.1.2: both algorithm fields must be the same.
    if tbs["signature"].dump() != cert["signature_algorithm"].dump():
        raise InvalidSignature(
            "the certificate's two signature algorithm fields differ"
        )
    verify_signature(
        issuer_spki_der,
        cert["signature_algorithm"],
        tbs.dump(),
        cert["signature_value"].native,
    )


def is_self_signed(cert: x509.Certificate) -> bool:
    """Return whether `cert` names itself as issuer and its own key signed it."""
    tbs = cert["tbs_certificate"]
    if tbs["subject"] != tbs["issuer"]:
        return False
    try:
        check_signature(cert, tbs["subject_public_key_info"].dump())
    except (CryptoError, InputError, *ASN1_ERRORS):
        return False
    return True


def _label(cert: x509.Certificate) -> str:
    name = format_name(cert["tbs_certificate"]["subject"])
    if name:
        return f"'{name}'"
    serial = cert["tbs_certificate"]["serial_number"].native
    return f"with empty subject and serial {serial}"


def _rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _extension_map(cert: x509.Certificate) -> dict[str, x509.Extension]:
    extensions = cert["tbs_certificate"]["extensions"]
    if isinstance(extensions, core.Void):
        return {}
    return {extension["extn_id"].dotted: extension for extension in extensions}


@dataclass
class _Node:
    """One certificate with the facts path building needs, computed once."""

    cert: x509.Certificate
    anchor: bool = False
    subject: str = field(init=False)
    issuer: str = field(init=False)
    spki: bytes = field(init=False)
    extensions: dict[str, x509.Extension] = field(init=False)
    label: str = field(init=False)

    def __post_init__(self) -> None:
        tbs = self.cert["tbs_certificate"]
        self.subject = tbs["subject"].hashable
        self.issuer = tbs["issuer"].hashable
        self.spki = tbs["subject_public_key_info"].dump()
        self.extensions = _extension_map(self.cert)
        self.label = _label(self.cert)

    @property
    def identity(self) -> tuple[str, bytes]:
        return self.subject, self.spki

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer

    def parsed(self, oid: str):
        extension = self.extensions.get(oid)
        return None if extension is None else extension["extn_value"].parsed

    @property
    def key_id(self) -> bytes | None:
        return self.cert.key_identifier

    @property
    def authority_key_id(self) -> bytes | None:
        return self.cert.authority_key_identifier


def _validity_problem(node: _Node, at: datetime.datetime) -> str | None:
    validity = node.cert["tbs_certificate"]["validity"]
    not_before = validity["not_before"].native
    not_after = validity["not_after"].native
    if at < not_before:
        return f"certificate {node.label} is not valid before {_rfc3339(not_before)}"
    if at > not_after:
        return f"certificate {node.label} expired at {_rfc3339(not_after)}"
    return None


def _profile_problem(
    node: _Node, *, leaf: bool, underscore: bool = False
) -> str | None:
    """RFC 5280 rules on one certificate that Go leaves out but limbo checks."""
    for oid, name in (("2.5.29.35", "authority"), ("2.5.29.14", "subject")):
        extension = node.extensions.get(oid)
        if extension is not None and extension["critical"].native:
            # RFC 5280 sections 4.2.1.1 and 4.2.1.2: MUST be non-critical.
            return f"certificate {node.label} marks its {name} key identifier critical"
    key = node.cert["tbs_certificate"]["subject_public_key_info"]
    if key["algorithm"]["algorithm"].native == "rsa":
        bits = key["public_key"].parsed["modulus"].native.bit_length()
        if bits < MIN_RSA_BITS:
            return f"certificate {node.label} has a weak {bits}-bit RSA key"
    subject_empty = not node.cert["tbs_certificate"]["subject"].chosen
    san = node.extensions.get(_OID_SUBJECT_ALT_NAME)
    if subject_empty and san is not None and not san["critical"].native:
        # RFC 5280 section 4.2.1.6.
        return (
            f"certificate {node.label} has an empty subject and a non-critical "
            "subject alternative name"
        )
    if not subject_empty and san is not None and san["critical"].native and leaf:
        # CA/Browser Forum BR 7.1.2.7.12: critical only with an empty subject.
        return (
            f"certificate {node.label} marks its subject alternative name "
            "critical though it has a subject"
        )
    aki = node.parsed("2.5.29.35")
    if aki is not None and aki["key_identifier"].native is None:
        # RFC 5280 section 4.2.1.1: the key identifier field MUST be there.
        return (
            f"certificate {node.label} has an authority key identifier "
            "without keyIdentifier"
        )
    # TODO: RFC 5280 section 4.2.1.1 also wants an authority key identifier in
    # every certificate that is not self-signed; Go does not insist and private
    # PKIs often leave it out, so a leaf without one is still accepted.
    if not leaf:
        if subject_empty:
            return f"CA certificate {node.label} has an empty subject"
        return None
    constraints = node.parsed(_OID_BASIC_CONSTRAINTS)
    if constraints is not None and constraints["ca"].native:
        return f"certificate {node.label} is a CA (CA:TRUE), not an end entity"
    key_usage = node.parsed(_OID_KEY_USAGE)
    if key_usage is not None and "key_cert_sign" in key_usage.native:
        return (
            f"certificate {node.label} is not a CA but its key usage has "
            "Certificate Sign"
        )
    if _OID_NAME_CONSTRAINTS in node.extensions:
        # RFC 5280 section 4.2.1.10: only in CA certificates.
        return f"certificate {node.label} is not a CA but has name constraints"
    for general_name in _san_names(node):
        if general_name.name == "dns_name":
            text = ia5_text(general_name.chosen)
            if not valid_dns_name(text, wildcard=True, underscore=underscore):
                return f"certificate {node.label} has a malformed DNS name {text!r}"
    return None


def _critical_problem(node: _Node) -> str | None:
    for oid, extension in node.extensions.items():
        if extension["critical"].native and oid not in _HANDLED_CRITICAL:
            return f"certificate {node.label} has an unhandled critical extension {oid}"
    return None


def _san_names(node: _Node) -> list[x509.GeneralName]:
    names = node.parsed(_OID_SUBJECT_ALT_NAME)
    return [] if names is None else list(names)


def _san_text(general_name: x509.GeneralName) -> str:
    kind, text = general_name_text(general_name)
    return f"{kind}:{text}"


def _san_listing(node: _Node) -> str:
    texts = [_san_text(name) for name in _san_names(node)]
    return ", ".join(texts) if texts else "none"


def _host_problem(node: _Node, host: str) -> str | None:
    candidate = host.strip()
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    address = _parse_ip(candidate)

    for name in _san_names(node):
        if address is not None and name.name == "ip_address":
            if _ip_bytes(bytes(name.chosen.contents or b"")) == address:
                return None
        elif (
            address is None
            and name.name == "dns_name"
            and _match_hostname(ia5_text(name.chosen), candidate)
        ):
            return None

    kind = "IP address" if address is not None else "host name"
    return f"{kind} '{host}' not in the certificate's SANs ({_san_listing(node)})"


def _parse_ip(text: str) -> bytes | None:
    if "%" in text:  # no IPv6 zones, as Go's net.ParseIP
        return None
    try:
        return _ip_bytes(ipaddress.ip_address(text).packed)
    except ValueError:
        return None


def _ip_bytes(raw: bytes) -> bytes:
    # Go compares IPv4 and IPv4-mapped IPv6 addresses as equal.
    if len(raw) == 16 and raw[:12] == b"\x00" * 10 + b"\xff\xff":
        return raw[12:]
    return raw


def _match_hostname(pattern: str, host: str) -> bool:
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if not pattern or not host:
        return False
    if "*" in host:
        return False  # a wildcard is a pattern, never a name to look for
    if not pattern.startswith("*."):
        return pattern == host
    # RFC 6125 section 6.4.3: one wildcard, the whole left-most label.
    suffix = pattern[2:]
    if "*" in suffix or not suffix:
        return False
    label, _, rest = host.partition(".")
    return bool(label) and rest == suffix


def _usage_problem(node: _Node, required: str) -> str | None:
    purposes = node.parsed(_OID_EXTENDED_KEY_USAGE)
    if purposes is None:
        return None
    oids = [purpose.dotted for purpose in purposes]
    if required in oids or _ANY_EXTENDED_KEY_USAGE in oids:
        return None
    wanted = EXT_KEY_USAGES.get(required, (required, ""))[0].lower()
    present = ", ".join(EXT_KEY_USAGES.get(oid, (oid, ""))[0] for oid in oids)
    return (
        f"certificate {node.label} is not valid for {wanted} "
        f"(extended key usage: {present})"
    )


def _usage_oid(usage: str) -> str:
    if usage in USAGES:
        return USAGES[usage]
    parts = usage.split(".")
    if len(parts) >= 2 and all(part.isdigit() for part in parts):
        return usage
    raise InputError(
        f"usage '{usage}' is not one of {', '.join(USAGES)} or a dotted OID"
    )


def _issuer_problem(issuer: _Node, path: list[_Node]) -> str | None:
    """Return why `issuer` may not issue the last certificate of `path`."""
    constraints = issuer.parsed(_OID_BASIC_CONSTRAINTS)
    version = issuer.cert["tbs_certificate"]["version"].native
    child = path[-1]
    if constraints is None:
        # Go accepts a v1 certificate without basic constraints only as a root.
        if version == "v3" or not issuer.anchor:
            return (
                f"certificate {issuer.label} is not a CA "
                f"(no basic constraints) but issued {child.label}"
            )
    elif not constraints["ca"].native:
        return (
            f"certificate {issuer.label} is not a CA (CA:FALSE) "
            f"but issued {child.label}"
        )

    key_usage = issuer.parsed(_OID_KEY_USAGE)
    if key_usage is not None and "key_cert_sign" not in key_usage.native:
        return (
            f"certificate {issuer.label} may not sign certificates "
            "(key usage without Certificate Sign)"
        )

    if constraints is not None:
        limit = constraints["path_len_constraint"].native
        # RFC 5280 section 6.1.4 (l): self-issued intermediates do not count.
        below = sum(1 for node in path[1:] if not node.self_issued)
        if limit is not None and below > limit:
            return (
                f"certificate {issuer.label} allows {limit} intermediate(s) "
                f"below it (pathlen), the chain has {below}"
            )

    if (
        issuer.anchor
        and constraints is not None
        and version == "v3"
        and not issuer.extensions[_OID_BASIC_CONSTRAINTS]["critical"].native
    ):
        # RFC 5280 section 4.2.1.9: a CA MUST mark basic constraints critical.
        return f"certificate {issuer.label} has non-critical basic constraints"

    problem = _critical_problem(issuer) or _profile_problem(issuer, leaf=False)
    if problem:
        return problem
    constraints_ext = issuer.parsed(_OID_NAME_CONSTRAINTS)
    if constraints_ext is not None:
        return _name_constraints_problem(issuer, constraints_ext, path)
    return None


# --- name constraints (RFC 5280 section 4.2.1.10) ----------------------------

_NAME_KINDS = {
    "dns_name": "DNS",
    "rfc822_name": "email",
    "uniform_resource_identifier": "URI",
    "ip_address": "IP Address",
    "directory_name": "DirName",
}


def _name_constraints_problem(
    issuer: _Node, constraints: x509.NameConstraints, path: list[_Node]
) -> str | None:
    subtrees: dict[str, dict[str, list[x509.GeneralName]]] = {
        "permitted": {},
        "excluded": {},
    }
    unsupported: set[str] = set()
    count = 0
    for key, field_name in (
        ("permitted", "permitted_subtrees"),
        ("excluded", "excluded_subtrees"),
    ):
        if isinstance(constraints[field_name], core.Void):
            continue
        for subtree in constraints[field_name]:
            count += 1
            base = subtree["base"]
            if base.name not in _NAME_KINDS:
                unsupported.add(base.name)
                continue
            if (
                base.name == "dns_name"
                and not valid_dns_name(ia5_text(base.chosen).lower(), wildcard=False)
                and ia5_text(base.chosen) != ""
            ):
                return (
                    f"certificate {issuer.label} has a malformed DNS name "
                    f"constraint {ia5_text(base.chosen)!r}"
                )
            subtrees[key].setdefault(base.name, []).append(base.chosen)
    if count == 0:
        # RFC 5280 section 4.2.1.10: at least one subtree MUST be present.
        return f"certificate {issuer.label} has empty name constraints"
    names_on_path = sum(len(_constrained_names(node)) for node in path)
    if names_on_path * count > MAX_NAME_CONSTRAINT_CHECKS:
        return (
            f"certificate {issuer.label} has {count} name constraints for "
            f"{names_on_path} names: too many to check"
        )

    for index, node in enumerate(path):
        if index > 0 and node.self_issued:
            continue  # RFC 5280 section 6.1.3 (b)
        for general_name in _san_names(node):
            if general_name.name in unsupported:
                # TODO: otherName and other constraint kinds are not matched;
                # a name of such a kind under such constraints is refused.
                return (
                    f"certificate {issuer.label} has a name constraint of "
                    f"unsupported type {general_name.name}"
                )
        for kind, value, text in _constrained_names(node):
            for excluded in subtrees["excluded"].get(kind, []):
                if _name_within(kind, value, excluded) or _wildcard_overlaps(
                    kind, value, excluded
                ):
                    return (
                        f"name '{text}' of certificate {node.label} is excluded "
                        f"by the name constraints of {issuer.label}"
                    )
            permitted = subtrees["permitted"].get(kind)
            if permitted and not any(_name_within(kind, value, p) for p in permitted):
                return (
                    f"name '{text}' of certificate {node.label} is not permitted "
                    f"by the name constraints of {issuer.label}"
                )
    return None


def _constrained_names(node: _Node) -> list[tuple[str, object, str]]:
    subject = node.cert["tbs_certificate"]["subject"]
    names: list[tuple[str, object, str]] = []
    if subject.chosen:
        names.append(("directory_name", subject, f"DirName:{format_name(subject)}"))
        for oid, value in attributes(subject):
            if oid == _OID_EMAIL_ADDRESS:
                names.append(("rfc822_name", value, f"email:{value}"))
    for general_name in _san_names(node):
        if general_name.name == "directory_name":
            value: object = general_name.chosen
        elif general_name.name == "ip_address":
            value = bytes(general_name.chosen.contents or b"")
        elif general_name.name in _NAME_KINDS:
            value = ia5_text(general_name.chosen)
        else:
            continue
        names.append((general_name.name, value, _san_text(general_name)))
    return names


def _name_within(kind: str, value: object, constraint: core.Asn1Value) -> bool:
    if kind == "ip_address":
        raw = bytes(constraint.contents or b"")
        half = len(raw) // 2
        address, mask = raw[:half], raw[half:]
        assert isinstance(value, bytes)
        return len(value) == half and all(
            (v & m) == (a & m) for v, a, m in zip(value, address, mask)
        )
    if kind == "directory_name":
        assert isinstance(value, x509.Name)
        prefix = list(constraint.chosen)
        rdns = list(value.chosen)
        return len(prefix) <= len(rdns) and all(a == b for a, b in zip(prefix, rdns))

    assert isinstance(value, str)
    text = ia5_text(constraint).lower()
    if kind == "dns_name":
        return _dns_within(value.lower().rstrip("."), text)
    if kind == "rfc822_name":
        mailbox = value.lower()
        if "@" in text:
            return mailbox == text
        domain = mailbox.rpartition("@")[2]
        return domain.endswith(text) if text.startswith(".") else domain == text
    # uniformResourceIdentifier: the constraint applies to the host part.
    host = (urllib.parse.urlsplit(value).hostname or "").lower()
    if not host:
        return False
    return host.endswith(text) if text.startswith(".") else host == text


def _wildcard_overlaps(kind: str, value: object, constraint: core.Asn1Value) -> bool:
    """Whether a wildcard DNS name could stand for a name in `constraint`."""
    if kind != "dns_name" or not isinstance(value, str) or not value.startswith("*."):
        return False
    suffix = value[2:].lower().rstrip(".")
    text = ia5_text(constraint).lower().rstrip(".")
    return text.partition(".")[2] == suffix


def _dns_within(name: str, constraint: str) -> bool:
    if not constraint:
        return True
    if constraint.startswith("."):
        return name.endswith(constraint)
    return name == constraint or name.endswith("." + constraint)


# --- path building -----------------------------------------------------------


class _Search:
    """One depth-first search for a path, with its budget and its failures."""

    def __init__(
        self,
        nodes: list[_Node],
        at: datetime.datetime,
        max_length: int,
        usage_oid: str | None = None,
    ) -> None:
        self.at = at
        self.max_length = max_length
        self.usage_oid = usage_oid
        self.by_subject: dict[str, list[_Node]] = {}
        for node in nodes:
            self.by_subject.setdefault(node.subject, []).append(node)
        self.signature_checks = 0
        self.failures: list[tuple[int, str]] = []

    def fail(self, depth: int, reason: str) -> None:
        self.failures.append((depth, reason))

    def best_failure(self) -> str:
        deepest = max(depth for depth, _ in self.failures)
        return next(reason for depth, reason in self.failures if depth == deepest)

    def candidates(self, child: _Node) -> list[_Node]:
        def priority(node: _Node) -> tuple[int, int, int]:
            wanted, have = child.authority_key_id, node.key_id
            key_rank = (
                1 if wanted is None or have is None else (0 if wanted == have else 2)
            )
            valid_rank = 0 if _validity_problem(node, self.at) is None else 1
            return (0 if node.anchor else 1, key_rank, valid_rank)

        return sorted(self.by_subject.get(child.issuer, []), key=priority)

    def extend(self, path: list[_Node]) -> list[_Node] | None:
        child = path[-1]
        depth = len(path)
        candidates = self.candidates(child)
        if not candidates:
            issuer = format_name(child.cert["tbs_certificate"]["issuer"])
            self.fail(depth, f"no path to a trusted root: issuer '{issuer}' not found")
            return None

        for issuer in candidates:
            if any(issuer.identity == node.identity for node in path):
                self.fail(
                    depth,
                    "no path to a trusted root: the chain loops back to "
                    f"{issuer.label}",
                )
                continue
            if depth + 1 > self.max_length:
                self.fail(
                    depth,
                    f"no path to a trusted root within {self.max_length} certificates",
                )
                continue
            problem = self.signature_problem(child, issuer)
            problem = problem or _validity_problem(issuer, self.at)
            problem = problem or _issuer_problem(issuer, path)
            # As Go: an issuer's extended key usage, when present, must allow
            # the usage asked of the leaf.
            if not problem and self.usage_oid is not None:
                problem = _usage_problem(issuer, self.usage_oid)
            if problem:
                self.fail(depth, problem)
                continue
            if issuer.anchor:
                return path + [issuer]
            found = self.extend(path + [issuer])
            if found:
                return found
        return None

    def signature_problem(self, child: _Node, issuer: _Node) -> str | None:
        self.signature_checks += 1
        if self.signature_checks > MAX_SIGNATURE_CHECKS:
            raise VerificationError(
                f"no path to a trusted root: gave up after {MAX_SIGNATURE_CHECKS} "
                "signature checks"
            )
        tbs = child.cert["tbs_certificate"]
        if tbs["signature"].dump() != child.cert["signature_algorithm"].dump():
            return (
                f"certificate {child.label} names two different signature "
                "algorithms (RFC 5280 section 4.1.1.2)"
            )
        try:
            check_signature(child.cert, issuer.spki)
        except InvalidSignature:
            return (
                f"signature of certificate {child.label} does not verify "
                f"with the key of {issuer.label}"
            )
        except (CryptoError, InputError) as exc:
            return f"cannot check the signature of certificate {child.label}: {exc}"
        except ASN1_ERRORS as exc:  # a malformed key of an untrusted certificate
            return (
                f"cannot check the signature of certificate {child.label}: "
                f"{asn1_cause(exc)}"
            )
        return None


def _unique_nodes(
    certs: list[x509.Certificate], *, anchor: bool, skip: frozenset | set = frozenset()
) -> list[_Node]:
    nodes, seen = [], set(skip)
    for cert in certs:
        der = cert.dump()
        if der not in seen:
            seen.add(der)
            nodes.append(_Node(cert, anchor=anchor))
    return nodes


def _as_utc(at: datetime.datetime | None) -> datetime.datetime:
    if at is None:
        return datetime.datetime.fromtimestamp(time.time(), datetime.UTC)
    if at.tzinfo is None:
        return at.replace(tzinfo=datetime.UTC)
    return at


def verify_chain(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    roots: list[x509.Certificate],
    *,
    at: datetime.datetime | None = None,
    host: str | None = None,
    usage: str | None = "server",
    max_length: int = MAX_CHAIN_LENGTH,
    leaf_underscores: bool = False,
) -> list[x509.Certificate]:
    """Return a validated path [leaf, intermediates..., root] or raise.

    `at` defaults to now (a naive datetime is taken as UTC); `host` is a DNS
    name or an IP address to find among the leaf's SANs; `usage` is "server",
    "client", a dotted extended key usage OID, or None for no extended key
    usage check. The usage is asked of every certificate on the path that has
    an extended key usage extension, as Go does. `leaf_underscores` lets the
    leaf's DNS names hold '_', as step-ca issues them.
    """
    usage_oid = None if usage is None else _usage_oid(usage)
    if host is not None and not host.strip():
        raise InputError("host name to verify is empty")
    if not roots:
        raise VerificationError("no trusted roots to verify against")
    if len(intermediates) > MAX_INTERMEDIATES:
        raise VerificationError(
            f"too many intermediate certificates ({len(intermediates)}), "
            f"at most {MAX_INTERMEDIATES} are considered"
        )
    # RFC 5280 validity has whole seconds: compare at that granularity.
    moment = _as_utc(at).replace(microsecond=0)

    anchors = _unique_nodes(roots, anchor=True)
    anchor_identities = {node.identity for node in anchors}
    leaf_node = _Node(leaf)

    problem = _validity_problem(leaf_node, moment) or _critical_problem(leaf_node)
    if not problem and leaf_node.identity not in anchor_identities:
        problem = _profile_problem(leaf_node, leaf=True, underscore=leaf_underscores)
    if not problem and host is not None:
        problem = _host_problem(leaf_node, host)
    if not problem and usage_oid is not None:
        problem = _usage_problem(leaf_node, usage_oid)
    if problem:
        raise VerificationError(problem)

    if leaf_node.identity in anchor_identities:  # the leaf is trusted as it is
        same = [node for node in anchors if node.identity == leaf_node.identity]
        exact = [node for node in same if node.cert.dump() == leaf.dump()]
        return [(exact or same)[0].cert]

    nodes = anchors + [
        node
        for node in _unique_nodes(intermediates, anchor=False, skip={leaf.dump()})
        if node.identity not in anchor_identities  # a copy of a root is the root
    ]
    search = _Search(nodes, moment, max_length, usage_oid)
    path = search.extend([leaf_node])
    if path is None:
        raise VerificationError(search.best_failure())
    return [node.cert for node in path]
