"""verify_chain: good chains in any order, and each bad case with its reason."""

from __future__ import annotations

import datetime
import ipaddress
import random

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from stepwasm_core.errors import InputError, VerificationError
from stepwasm_core.pem import load_certificates
from stepwasm_core.verify import (
    MAX_CHAIN_LENGTH,
    MAX_SIGNATURE_CHECKS,
    is_self_signed,
    verify_chain,
)

from .pki import (
    CLIENT,
    DAY,
    NOW,
    SERVER,
    SERVER_CLIENT,
    Issued,
    cached_key,
    issue,
    name,
    rsa_pss_sign,
)

pytestmark = pytest.mark.unit


def load(*issued: Issued) -> list[asn1_x509.Certificate]:
    return [load_certificates(i.der, source="test")[0] for i in issued]


def subjects(path: list[asn1_x509.Certificate]) -> list[str]:
    return [cert.subject.native["common_name"] for cert in path]


def verify(leaf: Issued, intermediates=(), roots=(), **kwargs):
    kwargs.setdefault("at", NOW)
    [leaf_cert] = load(leaf)
    return verify_chain(leaf_cert, load(*intermediates), load(*roots), **kwargs)


def refused(leaf: Issued, intermediates=(), roots=(), **kwargs) -> str:
    with pytest.raises(VerificationError) as caught:
        verify(leaf, intermediates, roots, **kwargs)
    return str(caught.value)


@pytest.fixture(scope="module")
def pki():
    root = issue("Root", key=cached_key("v-root"), ca=True)
    inter = issue("Intermediate", key=cached_key("v-inter"), issuer=root, ca=True)
    leaf = issue(
        "leaf.example",
        key=cached_key("v-leaf"),
        issuer=inter,
        sans=[
            "DNS:leaf.example",
            "DNS:*.apps.example",
            "IP:10.0.0.1",
            "IP:2001:db8::1",
        ],
        eku=SERVER_CLIENT,
    )
    return root, inter, leaf


# --- good chains -------------------------------------------------------------


def test_simple_chain(pki) -> None:
    root, inter, leaf = pki
    path = verify(leaf, [inter], [root], host="leaf.example")
    assert subjects(path) == ["leaf.example", "Intermediate", "Root"]
    assert [c.dump() for c in path] == [leaf.der, inter.der, root.der]


def test_any_order_duplicates_and_noise(pki) -> None:
    root, inter, leaf = pki
    noise = issue("Unrelated CA", ca=True)
    path = verify(leaf, [noise, inter, leaf, inter, root, noise], [root])
    assert subjects(path) == ["leaf.example", "Intermediate", "Root"]


def test_root_sent_in_the_chain_is_the_trusted_root(pki) -> None:
    root, inter, leaf = pki
    path = verify(leaf, [inter, root], [root])
    assert path[-1].dump() == root.der


def test_leaf_directly_under_the_root(pki) -> None:
    root, _, _ = pki
    leaf = issue("direct", issuer=root, sans=["DNS:direct.example"])
    assert subjects(verify(leaf, [], [root], host="direct.example")) == [
        "direct",
        "Root",
    ]


def test_a_trusted_self_signed_leaf() -> None:
    alone = issue("alone", ca=True, sans=["DNS:alone.example"])
    assert subjects(verify(alone, [], [alone], host="alone.example")) == ["alone"]


def test_one_of_several_roots(pki) -> None:
    root, inter, leaf = pki
    others = [issue(f"Other {i}", ca=True) for i in range(3)]
    path = verify(leaf, [inter], [*others, root])
    assert path[-1].dump() == root.der


def test_mixed_key_types_and_rsa_pss() -> None:
    root = issue("RSA Root", key=cached_key("v-rsa-root", "rsa2048"), ca=True)
    inter = issue(
        "Ed Inter", key=cached_key("v-ed-inter", "ed25519"), issuer=root, ca=True
    )
    leaf = issue("p384 leaf", key=cached_key("v-p384", "p384"), issuer=inter)
    assert subjects(verify(leaf, [inter], [root])) == [
        "p384 leaf",
        "Ed Inter",
        "RSA Root",
    ]

    builder = (
        x509.CertificateBuilder()
        .subject_name(name("pss leaf"))
        .issuer_name(root.cert.subject)
        .public_key(cached_key("v-pss").public_key())
        .serial_number(9)
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
    )
    pss = Issued(rsa_pss_sign(builder, root.key), cached_key("v-pss"))
    assert subjects(verify(pss, [], [root])) == ["pss leaf", "RSA Root"]


@pytest.fixture(scope="module")
def cross():
    """Two roots; the intermediate's key is certified by both."""
    old_root = issue("Old Root", key=cached_key("x-old"), ca=True)
    new_root = issue("New Root", key=cached_key("x-new"), ca=True)
    inter_key = cached_key("x-inter")
    by_new = issue("Issuing CA", key=inter_key, issuer=new_root, ca=True)
    by_old = issue("Issuing CA", key=inter_key, issuer=old_root, ca=True)
    expired_by_old = issue(
        "Issuing CA",
        key=inter_key,
        issuer=old_root,
        ca=True,
        not_before=NOW - 10 * DAY,
        not_after=NOW - DAY,
    )
    leaf = issue("svc", issuer=by_new, sans=["DNS:svc.example"])
    return old_root, new_root, by_new, by_old, expired_by_old, leaf


@pytest.mark.parametrize(
    ("trusted", "expected_root"),
    [("old", "Old Root"), ("new", "New Root"), ("both", None)],
)
def test_cross_signed_two_paths(cross, trusted: str, expected_root) -> None:
    old_root, new_root, by_new, by_old, _, leaf = cross
    roots = {"old": [old_root], "new": [new_root], "both": [old_root, new_root]}[
        trusted
    ]
    path = verify(leaf, [by_new, by_old], roots)
    assert len(path) == 3
    if expected_root:
        assert subjects(path)[-1] == expected_root
    issuer = path[1].dump()
    assert issuer == (by_old.der if subjects(path)[-1] == "Old Root" else by_new.der)


def test_expired_cross_sign_is_passed_over(cross) -> None:
    old_root, _, _, by_old, expired_by_old, leaf = cross
    path = verify(leaf, [expired_by_old, by_old], [old_root])
    assert path[1].dump() == by_old.der
    assert "certificate 'CN=Issuing CA' expired at" in refused(
        leaf, [expired_by_old], [old_root]
    )


def test_self_issued_intermediate_does_not_count_for_pathlen() -> None:
    # RFC 5280 section 6.1.4 (l): a key rollover certificate is not counted.
    root = issue("Root", key=cached_key("p-root"), ca=True, path_len=1)
    old = issue("Issuing", key=cached_key("p-old"), issuer=root, ca=True)
    rollover = issue("Issuing", key=cached_key("p-new"), issuer=old, ca=True)
    leaf = issue("leaf", issuer=rollover)
    assert subjects(verify(leaf, [rollover, old], [root])) == [
        "leaf",
        "Issuing",
        "Issuing",
        "Root",
    ]


def test_pathlen_zero_right_above_the_leaf(pki) -> None:
    root, _, _ = pki
    inter = issue("Zero", issuer=root, ca=True, path_len=0)
    leaf = issue("leaf", issuer=inter)
    assert subjects(verify(leaf, [inter], [root])) == ["leaf", "Zero", "Root"]


def test_naive_time_is_utc_and_default_is_now(pki) -> None:
    root, inter, leaf = pki
    verify(leaf, [inter], [root], at=NOW.replace(tzinfo=None))
    fresh_root = issue(
        "Now Root",
        ca=True,
        not_before=datetime.datetime.now(datetime.UTC) - DAY,
        not_after=datetime.datetime.now(datetime.UTC) + DAY,
    )
    fresh = issue(
        "now",
        issuer=fresh_root,
        not_before=datetime.datetime.now(datetime.UTC) - DAY,
        not_after=datetime.datetime.now(datetime.UTC) + DAY,
    )
    verify(fresh, [], [fresh_root], at=None)
    ancient = issue(
        "ancient",
        issuer=fresh_root,
        not_before=NOW.replace(year=2001),
        not_after=NOW.replace(year=2002),
    )
    assert "'CN=ancient' expired at 2002-" in refused(
        ancient, [], [fresh_root], at=None
    )


# --- host names and usages ---------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "leaf.example",
        "LEAF.Example",
        "leaf.example.",
        "web.apps.example",
        "10.0.0.1",
        "2001:db8::1",
        "[2001:db8::1]",
        "2001:0db8:0000::0001",
        "::ffff:10.0.0.1",
    ],
)
def test_host_matches(pki, host: str) -> None:
    root, inter, leaf = pki
    verify(leaf, [inter], [root], host=host)


@pytest.mark.parametrize(
    ("host", "message"),
    [
        pytest.param(
            "bar.example",
            "host name 'bar.example' not in the certificate's SANs (DNS:leaf.example, "
            "DNS:*.apps.example, IP Address:10.0.0.1, IP Address:2001:db8::1)",
            id="other-name",
        ),
        pytest.param(
            "apps.example", "host name 'apps.example' not in", id="wildcard-bare"
        ),
        pytest.param(
            "a.b.apps.example",
            "host name 'a.b.apps.example' not in",
            id="wildcard-two-labels",
        ),
        pytest.param(
            "*.apps.example", "host name '*.apps.example' not in", id="wildcard-as-host"
        ),
        pytest.param(
            "10.0.0.2",
            "IP address '10.0.0.2' not in the certificate's SANs",
            id="other-ip",
        ),
        pytest.param("leaf", "host name 'leaf' not in", id="partial"),
    ],
)
def test_host_mismatch(pki, host: str, message: str) -> None:
    root, inter, leaf = pki
    assert refused(leaf, [inter], [root], host=host).startswith(message)


def test_no_common_name_fallback(pki) -> None:
    root, _, _ = pki
    cn_only = issue("cn-only.example", issuer=root)
    assert refused(cn_only, [], [root], host="cn-only.example") == (
        "host name 'cn-only.example' not in the certificate's SANs (none)"
    )


@pytest.mark.parametrize(
    ("eku", "usage", "ok"),
    [
        pytest.param(None, "server", True, id="no-eku-server"),
        pytest.param(SERVER, "server", True, id="server-server"),
        pytest.param(CLIENT, "client", True, id="client-client"),
        pytest.param(CLIENT, None, True, id="client-unchecked"),
        pytest.param(
            [ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE],
            "server",
            True,
            id="any-server",
        ),
        pytest.param(CLIENT, "server", False, id="client-server"),
        pytest.param(SERVER, "client", False, id="server-client"),
        pytest.param(
            [ExtendedKeyUsageOID.CODE_SIGNING], "server", False, id="codesign"
        ),
    ],
)
def test_extended_key_usage(pki, eku, usage, ok: bool) -> None:
    root, _, _ = pki
    leaf = issue("usage", issuer=root, eku=eku)
    if ok:
        verify(leaf, [], [root], usage=usage)
    else:
        assert refused(leaf, [], [root], usage=usage).startswith(
            "certificate 'CN=usage' is not valid for "
        )


def test_eku_message(pki) -> None:
    root, _, _ = pki
    leaf = issue("foo", issuer=root, eku=CLIENT)
    assert refused(leaf, [], [root], usage="server") == (
        "certificate 'CN=foo' is not valid for server authentication "
        "(extended key usage: Client Authentication)"
    )


# --- bad chains, each with its reason ----------------------------------------


def test_expired_leaf(pki) -> None:
    root, inter, _ = pki
    leaf = issue("foo", issuer=inter, not_before=NOW - 3 * DAY, not_after=NOW - DAY)
    assert refused(leaf, [inter], [root]) == (
        "certificate 'CN=foo' expired at 2026-12-03T15:49:12Z"
    )


def test_leaf_not_yet_valid(pki) -> None:
    root, inter, _ = pki
    leaf = issue("foo", issuer=inter, not_before=NOW + DAY)
    assert refused(leaf, [inter], [root]) == (
        "certificate 'CN=foo' is not valid before 2026-12-05T15:49:12Z"
    )


def test_expired_intermediate(pki) -> None:
    root, _, _ = pki
    inter = issue(
        "Old Inter", issuer=root, ca=True, not_after=NOW - DAY, not_before=NOW - 9 * DAY
    )
    leaf = issue("foo", issuer=inter)
    assert refused(leaf, [inter], [root]) == (
        "certificate 'CN=Old Inter' expired at 2026-12-03T15:49:12Z"
    )


def test_expired_root(pki) -> None:
    root = issue("Dead Root", ca=True, not_before=NOW - 9 * DAY, not_after=NOW - DAY)
    leaf = issue("foo", issuer=root)
    assert refused(leaf, [], [root]).startswith("certificate 'CN=Dead Root' expired at")


def test_issuer_not_found(pki) -> None:
    root, inter, leaf = pki
    assert refused(leaf, [], [root]) == (
        "no path to a trusted root: issuer 'CN=Intermediate' not found"
    )
    other_root = issue("Other Root", ca=True)
    assert refused(leaf, [inter], [other_root]) == (
        "no path to a trusted root: issuer 'CN=Root' not found"
    )


def test_impostor_root_with_the_same_name(pki) -> None:
    root, inter, leaf = pki
    impostor = issue("Root", ca=True)
    assert refused(leaf, [inter], [impostor]) == (
        "signature of certificate 'CN=Intermediate' does not verify with the key "
        "of 'CN=Root'"
    )
    assert subjects(verify(leaf, [inter], [impostor, root]))[-1] == "Root"


def test_tampered_leaf_signature(pki) -> None:
    root, inter, leaf = pki
    der = bytearray(leaf.der)
    der[-5] ^= 0x01
    [cert] = load_certificates(bytes(der), source="t")
    with pytest.raises(VerificationError, match="signature of certificate 'CN=leaf"):
        verify_chain(cert, load(inter), load(root), at=NOW)


def test_signature_algorithm_fields_must_agree(pki) -> None:
    root, _, _ = pki
    leaf = issue("foo", issuer=root)
    [cert] = load(leaf)
    changed = asn1_x509.Certificate(
        {
            "tbs_certificate": cert["tbs_certificate"],
            "signature_algorithm": {"algorithm": "sha384_ecdsa"},
            "signature_value": cert["signature_value"].native,
        }
    )
    with pytest.raises(
        VerificationError, match="names two different signature algorithms"
    ):
        verify_chain(asn1_x509.Certificate.load(changed.dump()), [], load(root), at=NOW)


@pytest.mark.parametrize(
    ("make_inter", "message"),
    [
        pytest.param(
            lambda root: issue("NotCA", issuer=root, ca=False),
            "certificate 'CN=NotCA' is not a CA (CA:FALSE) but issued 'CN=foo'",
            id="ca-false",
        ),
        pytest.param(
            lambda root: issue(
                "NoBC",
                issuer=root,
                basic_constraints=False,
                key_usage={"key_cert_sign": True},
            ),
            "certificate 'CN=NoBC' is not a CA (no basic constraints) but issued 'CN=foo'",
            id="no-basic-constraints",
        ),
        pytest.param(
            lambda root: issue(
                "NoCertSign",
                issuer=root,
                ca=True,
                key_usage={"digital_signature": True},
            ),
            "certificate 'CN=NoCertSign' may not sign certificates "
            "(key usage without Certificate Sign)",
            id="no-keycertsign",
        ),
        pytest.param(
            lambda root: issue(
                "Crit",
                issuer=root,
                ca=True,
                extensions=[
                    (
                        x509.UnrecognizedExtension(
                            x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"
                        ),
                        True,
                    )
                ],
            ),
            "certificate 'CN=Crit' has an unhandled critical extension 1.2.3.4",
            id="unknown-critical",
        ),
    ],
)
def test_bad_intermediate(pki, make_inter, message: str) -> None:
    root, _, _ = pki
    inter = make_inter(root)
    leaf = issue("foo", issuer=inter)
    assert refused(leaf, [inter], [root]) == message


def test_unknown_critical_extension_in_leaf(pki) -> None:
    root, _, _ = pki
    leaf = issue(
        "foo",
        issuer=root,
        extensions=[
            (
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"
                ),
                True,
            )
        ],
    )
    assert refused(leaf, [], [root]) == (
        "certificate 'CN=foo' has an unhandled critical extension 1.2.3.4"
    )
    harmless = issue(
        "bar",
        issuer=root,
        extensions=[
            (
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"
                ),
                False,
            )
        ],
    )
    verify(harmless, [], [root])


def test_pathlen_exceeded(pki) -> None:
    root = issue("Tight Root", ca=True, path_len=0)
    inter = issue("Inter", issuer=root, ca=True)
    leaf = issue("foo", issuer=inter)
    assert refused(leaf, [inter], [root]) == (
        "certificate 'CN=Tight Root' allows 0 intermediate(s) below it (pathlen), "
        "the chain has 1"
    )


def test_cycle_terminates(pki) -> None:
    root, _, _ = pki
    key_a, key_b = cached_key("cyc-a"), cached_key("cyc-b")
    a_stub = Issued(issue("A", key=key_a, ca=True).cert, key_a)
    b = issue("B", key=key_b, issuer=a_stub, ca=True)
    a = issue("A", key=key_a, issuer=b, ca=True)
    leaf = issue("foo", issuer=a)
    message = refused(leaf, [a, b], [root])
    assert message.startswith("no path to a trusted root")
    assert "loops back to 'CN=A'" in message


def test_chain_too_long() -> None:
    root = issue("Deep Root", ca=True)
    chain = [root]
    for depth in range(MAX_CHAIN_LENGTH):
        chain.append(issue(f"Level {depth}", issuer=chain[-1], ca=True))
    leaf = issue("deep", issuer=chain[-1])
    assert refused(leaf, chain[1:], [root]) == (
        f"no path to a trusted root within {MAX_CHAIN_LENGTH} certificates"
    )
    ok_leaf = issue("shallow", issuer=chain[MAX_CHAIN_LENGTH - 2])
    assert len(verify(ok_leaf, chain[1:], [root])) == MAX_CHAIN_LENGTH


def test_signature_budget() -> None:
    root = issue("Budget Root", ca=True)
    upper = [issue("Y", issuer=root, ca=True) for _ in range(12)]  # 12 keys named Y
    x_key = cached_key("budget-x")
    # Twelve copies of X with one key, each signed by some other "Y" than the next.
    lower = [
        issue("X", key=x_key, issuer=upper[i], ca=True, serial=i + 1) for i in range(12)
    ]
    leaf = issue("foo", issuer=lower[0])
    # Only upper[0] certified X's key in lower[0]; hide it so every branch fails.
    message = refused(leaf, lower + upper[1:], [issue("Elsewhere", ca=True)])
    assert message == (
        f"no path to a trusted root: gave up after {MAX_SIGNATURE_CHECKS} signature checks"
    )


def test_too_many_intermediates(pki) -> None:
    root, inter, leaf = pki
    with pytest.raises(VerificationError, match="too many intermediate certificates"):
        verify_chain(load(leaf)[0], load(inter) * 101, load(root), at=NOW)


# --- name constraints --------------------------------------------------------


def constrained(root, permitted=None, excluded=None):
    return issue(
        "Constrained",
        issuer=root,
        ca=True,
        extensions=[(x509.NameConstraints(permitted, excluded), True)],
    )


@pytest.mark.parametrize(
    ("permitted", "excluded", "sans", "subject", "problem"),
    [
        pytest.param(
            [x509.DNSName("example.com")],
            None,
            ["DNS:a.example.com", "DNS:example.com"],
            "a",
            None,
            id="dns-permitted",
        ),
        pytest.param(
            [x509.DNSName("example.com")],
            None,
            ["DNS:example.org"],
            "a",
            "name 'DNS:example.org' of certificate 'CN=a' is not permitted",
            id="dns-not-permitted",
        ),
        pytest.param(
            [x509.DNSName("example.com")],
            None,
            ["DNS:badexample.com"],
            "a",
            "is not permitted",
            id="dns-label-boundary",
        ),
        pytest.param(
            None,
            [x509.DNSName("secret.example.com")],
            ["DNS:x.secret.example.com"],
            "a",
            "name 'DNS:x.secret.example.com' of certificate 'CN=a' is excluded",
            id="dns-excluded",
        ),
        pytest.param(
            [x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))],
            None,
            ["IP:10.1.2.3"],
            "a",
            None,
            id="ip-permitted",
        ),
        pytest.param(
            [x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))],
            None,
            ["IP:192.168.0.1"],
            "a",
            "name 'IP Address:192.168.0.1'",
            id="ip-not-permitted",
        ),
        pytest.param(
            [x509.RFC822Name("example.com")],
            None,
            ["email:a@example.com"],
            "a",
            None,
            id="email-permitted",
        ),
        pytest.param(
            [x509.RFC822Name(".example.com")],
            None,
            ["email:a@example.com"],
            "a",
            "is not permitted",
            id="email-subdomains-only",
        ),
        pytest.param(
            [x509.UniformResourceIdentifier(".example.com")],
            None,
            ["URI:spiffe://td.example.com/x"],
            "a",
            None,
            id="uri-permitted",
        ),
        pytest.param(
            [x509.UniformResourceIdentifier("example.com")],
            None,
            ["URI:urn:no-host"],
            "a",
            "is not permitted",
            id="uri-without-host",
        ),
        pytest.param(
            [x509.DirectoryName(name(o="Example"))],
            None,
            [],
            name("a", o="Example"),
            None,
            id="dirname-permitted",
        ),
        pytest.param(
            [x509.DirectoryName(name(o="Example"))],
            None,
            [],
            name("a", o="Other"),
            "name 'DirName:O=Other,CN=a'",
            id="dirname-not-permitted",
        ),
        pytest.param(
            [x509.DNSName("example.com")],
            None,
            ["IP:10.0.0.1"],
            "a",
            None,
            id="other-type-unconstrained",
        ),
    ],
)
def test_name_constraints(pki, permitted, excluded, sans, subject, problem) -> None:
    root, _, _ = pki
    inter = constrained(root, permitted, excluded)
    leaf = issue(subject, issuer=inter, sans=sans)
    if problem is None:
        verify(leaf, [inter], [root])
    else:
        message = refused(leaf, [inter], [root])
        assert problem in message
        assert message.endswith("by the name constraints of 'CN=Constrained'")


def test_unsupported_name_constraint_type(pki) -> None:
    # A kind of constraint we cannot match binds nothing when no name of that
    # kind is on the path (as Go; x509-limbo nc-forbids-othername-noop) and
    # refuses the chain when one is.
    root, _, _ = pki
    inter = constrained(root, [x509.RegisteredID(x509.ObjectIdentifier("1.2.3"))])
    plain = issue("a", issuer=inter, sans=["DNS:a.example"])
    assert len(verify(plain, [inter], [root], host="a.example")) == 3
    named = issue(
        "b",
        issuer=inter,
        extensions=[
            (
                x509.SubjectAlternativeName(
                    [x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4"))]
                ),
                False,
            )
        ],
    )
    assert refused(named, [inter], [root]) == (
        "certificate 'CN=Constrained' has a name constraint of unsupported type "
        "registered_id"
    )


# --- arguments and robustness ------------------------------------------------


def test_arguments(pki) -> None:
    root, inter, leaf = pki
    with pytest.raises(InputError, match="usage 'email' is not one of server, client"):
        verify(leaf, [inter], [root], usage="email")
    with pytest.raises(InputError, match="host name to verify is empty"):
        verify(leaf, [inter], [root], host=" ")
    with pytest.raises(VerificationError, match="no trusted roots"):
        verify(leaf, [inter], [])


def test_is_self_signed(pki) -> None:
    root, inter, _ = pki
    assert is_self_signed(load(root)[0])
    assert not is_self_signed(load(inter)[0])
    same_name_other_key = issue("Root", issuer=issue("Root", ca=True), ca=True)
    assert not is_self_signed(load(same_name_other_key)[0])


def test_corrupted_chains_only_raise_our_errors(pki) -> None:
    root, inter, leaf = pki
    rng = random.Random(6125)
    for _ in range(200):
        target = rng.choice([leaf, inter])
        data = bytearray(target.der)
        data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            [cert] = load_certificates(bytes(data), source="fuzz")
        except InputError:
            continue
        if target is leaf:
            leaf_cert, intermediates = cert, load(inter)
        else:
            leaf_cert, intermediates = load(leaf)[0], [cert]
        try:
            verify_chain(
                leaf_cert, intermediates, load(root), at=NOW, host="leaf.example"
            )
        except VerificationError:
            pass


def test_reissued_root_expired_copy_first(pki) -> None:
    root_key = cached_key("reissued-root")
    old = issue(
        "Reissued",
        key=root_key,
        ca=True,
        serial=1,
        not_before=NOW - 20 * DAY,
        not_after=NOW - 10 * DAY,
    )
    new = issue("Reissued", key=root_key, ca=True, serial=2)
    leaf = issue("leaf", issuer=new)
    assert verify(leaf, [], [old, new])[-1].dump() == new.der
    assert (
        verify(new, [], [old, new]) and verify(new, [], [old, new])[0].dump() == new.der
    )


def test_escaped_names_in_messages(pki) -> None:
    root, _, _ = pki
    leaf = issue(
        x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "a\nb")]),
        issuer=root,
        not_before=NOW - 3 * DAY,
        not_after=NOW - DAY,
    )
    assert refused(leaf, [], [root]).startswith("certificate 'CN=a\\x0ab' expired at")
