"""Compact JWS: Wycheproof JWS and JWK files, RFC 7520, RFC 8037, pyjwt."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import jwt
import pytest
from stepwasm_core.crypto import jose, keys
from stepwasm_core.errors import CryptoError, InputError, InvalidSignature

from .wycheproof import cases, check_count, need

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parent / "vectors"
JWS_FILE = "json_web_signature_test.json"
JWK_FILE = "json_web_key_test.json"

# Six vectors of the JWS file contradict the rest of the file (upstream, at
# the pinned commit). We keep the strict reading and pin it here:
# - "invalidBase64Padding" tokens equal the valid tcId 357 byte for byte;
# - "InvalidCharacterInserted..." tokens marked valid hold a "?", which is not
#   base64url;
# - RFC 7520 figure 20 is marked valid with a PS384 token for a key whose
#   "alg" is PS256, while tcIds 331-340 (WrongPrimitive) require a key's alg
#   to be honoured. We honour it (RFC 8725 section 3.1).
DEFECTIVE = {
    367: ("valid", "the same token as tcId 357, which is valid"),
    370: ("valid", "the same token as tcId 357, which is valid"),
    372: ("invalid", "'?' is not base64url"),
    373: ("invalid", "'?' is not base64url"),
    346: ("invalid", "the key's alg is PS256, the token's PS384"),
    350: ("invalid", "the key's alg is PS256, the token's PS384"),
}
REFUSED = (CryptoError, InputError)


def _lenient_header(token: str) -> dict | None:
    """The header as a lenient reader sees it, to sort out unsupported algs."""
    try:
        segment = token.split(".")[0]
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(raw)
    except ValueError:
        return None
    return header if isinstance(header, dict) else None


def _check_jws_case(case, key: dict) -> None:
    token = case.test["jws"]
    expect = case.result
    if case.tc_id in DEFECTIVE and case.file == JWS_FILE:
        expect, reason = DEFECTIVE[case.tc_id]
        if expect == "valid":
            (valid,) = [
                c.values[0].test for c in cases(JWS_FILE) if c.id.startswith("tc357-")
            ]
            assert token == valid["jws"], reason

    header = _lenient_header(token) or {}
    alg = header.get("alg")
    if (
        isinstance(alg, str)
        and alg.lower() != "none"
        and alg not in jose.JWS_ALGORITHMS
    ):
        with pytest.raises(
            CryptoError, match=re.escape(f"unsupported JWS algorithm {alg}")
        ):
            jose.verify_compact_jwk(token, key)
        pytest.skip(f"unsupported JWS algorithm {alg} (clean error checked)")

    if expect == "valid":
        _, payload = jose.verify_compact_jwk(token, key)
        assert payload == jose.b64url_decode(token.split(".")[1]), case.why()
    else:
        assert expect == "invalid", case.why()
        with pytest.raises(REFUSED):
            jose.verify_compact_jwk(token, key)


@pytest.mark.parametrize("name", [JWS_FILE, JWK_FILE])
def test_wycheproof_file_holds_every_test(name: str) -> None:
    check_count(name)


@pytest.mark.parametrize("case", cases(JWS_FILE))
def test_jws_wycheproof(case) -> None:
    case = need(case)
    _check_jws_case(case, case.group.get("public") or case.group["private"])


@pytest.mark.parametrize("case", cases(JWK_FILE))
def test_jwk_set_wycheproof(case) -> None:
    case = need(case)
    _check_jws_case(case, case.group.get("public") or case.group["private"])


def _cookbook(name: str) -> dict:
    return json.loads((VECTORS / "rfc7520" / name).read_text(encoding="utf-8"))


RFC7520_JWS = {
    "4.1-RS256": "4_1.rsa_v15_signature.json",
    "4.2-PS384": "4_2.rsa-pss_signature.json",
    "4.3-ES512": "4_3.ecdsa_signature.json",
    "4.4-HS256": "4_4.hmac-sha2_integrity_protection.json",
}


@pytest.mark.parametrize("name", RFC7520_JWS.values(), ids=RFC7520_JWS)
def test_rfc7520_signatures_verify(name: str) -> None:
    vector = _cookbook(name)
    jwk, compact = vector["input"]["key"], vector["output"]["compact"]
    payload = vector["input"]["payload"].encode("utf-8")

    header, body = jose.verify_compact_jwk(compact, jwk)
    assert header == vector["signing"]["protected"]
    assert body == payload
    tampered = compact.replace(".SXTigJlz", ".SXTigJla", 1)
    with pytest.raises(InvalidSignature):
        jose.verify_compact_jwk(tampered, jwk)


@pytest.mark.parametrize("name", [RFC7520_JWS["4.1-RS256"], RFC7520_JWS["4.4-HS256"]])
def test_rfc7520_deterministic_signatures_are_reproduced(name: str) -> None:
    vector = _cookbook(name)
    jwk = vector["input"]["key"]
    key = (
        jose.b64url_decode(jwk["k"])
        if jwk["kty"] == "oct"
        else keys.private_key_from_jwk(jwk)
    )
    compact = jose.sign_compact(
        vector["signing"]["protected"], vector["input"]["payload"].encode("utf-8"), key
    )
    assert compact == vector["output"]["compact"]


def test_rfc7520_es512_key_signs_and_verifies() -> None:
    jwk = _cookbook(RFC7520_JWS["4.3-ES512"])["input"]["key"]
    key = keys.private_key_from_jwk(jwk)
    assert (key.curve, key.jws_alg) == ("P-521", "ES512")
    token = jose.sign_compact({"kid": jwk["kid"]}, b"payload", key)
    assert jose.verify_compact(token, key.public_key()) == (
        {"alg": "ES512", "kid": jwk["kid"]},
        b"payload",
    )


def test_rfc8037_ed25519() -> None:
    vector = json.loads((VECTORS / "rfc8037.json").read_text(encoding="utf-8"))
    key = keys.private_key_from_jwk(vector["A.1_private_jwk"])
    public = keys.public_key_from_jwk(vector["A.2_public_jwk"])
    assert key.public_key() == public
    assert key.to_jwk() == vector["A.1_private_jwk"]
    assert public.thumbprint() == vector["A.3_thumbprint"]
    assert keys.jwk_thumbprint(vector["A.1_private_jwk"]) == vector["A.3_thumbprint"]
    payload = vector["A.4_payload"].encode("ascii")
    assert (
        jose.sign_compact(vector["A.4_protected"], payload, key)
        == vector["A.4_compact"]
    )
    assert jose.verify_compact(vector["A.4_compact"], public) == (
        {"alg": "EdDSA"},
        payload,
    )


KINDS = [("EC", "P-256"), ("EC", "P-384"), ("EC", "P-521"), ("OKP", "Ed25519")]


@pytest.fixture(scope="module")
def signing_keys(rsa_key) -> dict[str, keys.PrivateKey]:
    made = {curve: keys.generate_key(kty, curve) for kty, curve in KINDS}
    made["RSA"] = rsa_key
    return made


@pytest.mark.parametrize("kind", ["P-256", "P-384", "P-521", "Ed25519", "RSA"])
def test_our_tokens_verify_with_pyjwt(signing_keys, kind: str) -> None:
    key = signing_keys[kind]
    claims = {
        "sub": "test.example",
        "aud": "https://ca.example/1.0/sign",
        "sans": ["a"],
    }
    token = jose.sign_compact(
        {"kid": key.public_key().thumbprint(), "typ": "JWT"}, claims, key
    )
    verifier = jwt.PyJWK(key.public_key().to_jwk(), algorithm=key.jws_alg)
    decoded = jwt.decode(
        token, verifier.key, algorithms=[key.jws_alg], audience=claims["aud"]
    )
    assert decoded == claims
    assert jwt.get_unverified_header(token) == {
        "alg": key.jws_alg,
        "kid": key.public_key().thumbprint(),
        "typ": "JWT",
    }


@pytest.mark.parametrize("kind", ["P-256", "P-384", "P-521", "Ed25519", "RSA"])
def test_pyjwt_tokens_verify_with_ours(signing_keys, kind: str) -> None:
    key = signing_keys[kind]
    pem = key.to_pkcs8_der()
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    token = jwt.encode(
        {"sub": "x"}, load_der_private_key(pem, None), algorithm=key.jws_alg
    )
    header, payload = jose.verify_compact(token, key.public_key())
    assert header["alg"] == key.jws_alg
    assert json.loads(payload) == {"sub": "x"}


def test_sign_compact_sets_and_checks_alg(signing_keys) -> None:
    key = signing_keys["P-256"]
    token = jose.sign_compact({"kid": "k1"}, b"{}", key)
    assert token.split(".")[0] == jose.b64url_encode(b'{"alg":"ES256","kid":"k1"}')
    with pytest.raises(CryptoError, match="a EC key signs ES256, not ES384"):
        jose.sign_compact({"alg": "ES384"}, b"{}", key)


def test_hmac_tokens(signing_keys) -> None:
    secret = b"s" * 32
    token = jose.sign_compact({"alg": "HS256"}, {"a": 1}, secret)
    assert jose.verify_compact(token, secret) == ({"alg": "HS256"}, b'{"a":1}')
    assert jwt.decode(token, secret, algorithms=["HS256"]) == {"a": 1}
    with pytest.raises(InvalidSignature, match="HS256 needs a secret of 32 bytes"):
        jose.verify_compact(token, b"s" * 31)
    with pytest.raises(InvalidSignature, match="cannot use a public key"):
        jose.verify_compact(token, signing_keys["P-256"].public_key())
    with pytest.raises(CryptoError, match="needs a secret of 48 bytes"):
        jose.sign_compact({"alg": "HS384"}, b"x", secret)


def _token(header: dict, payload: bytes = b"x", signature: bytes = b"sig") -> str:
    parts = (json.dumps(header).encode(), payload, signature)
    return ".".join(jose.b64url_encode(p) for p in parts)


@pytest.mark.parametrize(
    ("token", "error", "message"),
    [
        (_token({"alg": "none"}), InvalidSignature, "alg none"),
        (_token({"alg": "nOnE"}), InvalidSignature, "alg none"),
        (_token({"alg": "ES256K"}), CryptoError, "unsupported JWS algorithm ES256K"),
        (_token({"alg": "ES256", "crit": ["b64"]}), InvalidSignature, "critical"),
        (_token({"typ": "JWT"}), InvalidSignature, "has no alg"),
        ('{"payload": "eA"}', InvalidSignature, "expected 3 parts, found 1"),
        ("a.b.c.d", InvalidSignature, "expected 3 parts, found 4"),
        (_token({"alg": "ES256"}, signature=b""), InvalidSignature, "no signature"),
        (
            "eyJhbGciOiJFUzI1NiIsImFsZyI6IkhTMjU2In0.eA.c2ln",
            InvalidSignature,
            "duplicate",
        ),
        ("W10.eA.c2ln", InvalidSignature, "not a JSON object"),
        (None, InvalidSignature, "not a string"),
    ],
    ids=[
        "alg-none",
        "alg-none-mixed-case",
        "unsupported-alg",
        "crit",
        "no-alg",
        "json-serialization",
        "four-parts",
        "empty-signature",
        "duplicate-alg",
        "array-header",
        "not-a-string",
    ],
)
def test_verify_compact_refusals(signing_keys, token, error, message) -> None:
    with pytest.raises(error, match=message):
        jose.verify_compact(token, signing_keys["P-256"].public_key())


def test_verify_compact_honours_the_algorithm_list(signing_keys) -> None:
    key = signing_keys["P-256"]
    token = jose.sign_compact({}, b"x", key)
    assert jose.verify_compact(token, key, algorithms=["ES256"])[1] == b"x"
    with pytest.raises(InvalidSignature, match="ES256 is not accepted here"):
        jose.verify_compact(token, key, algorithms=["EdDSA"])
    other = signing_keys["P-384"]
    with pytest.raises(InvalidSignature, match="does not fit a P-384 key"):
        jose.verify_compact(token, other.public_key())
