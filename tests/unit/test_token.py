"""Tokens for every provisioner key type, verified by pyjwt."""

from __future__ import annotations

import base64
import re

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from stepwasm_core.crypto import keys
from stepwasm_core.errors import TokenError
from stepwasm_core.token import make_provisioner_token, make_renew_token, read_claims

pytestmark = pytest.mark.unit

KEYS = {
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "ES512": lambda: ec.generate_private_key(ec.SECP521R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
    "RS256": lambda: rsa.generate_private_key(65537, 2048),
}


def _ours(private) -> keys.PrivateKey:
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return keys.load_private_key(pem)


@pytest.mark.parametrize("alg", list(KEYS))
def test_provisioner_token_verifies_with_pyjwt(alg):
    private = KEYS[alg]()
    token = make_provisioner_token(
        _ours(private),
        kid="the-kid",
        issuer="Admin JWK",
        audience="https://ca.test/1.0/sign",
        subject="web.test",
        sans=[],
        root_fingerprint="ab" * 32,
        now=1_800_000_000,
    )
    assert jwt.get_unverified_header(token) == {
        "alg": alg,
        "kid": "the-kid",
        "typ": "JWT",
    }
    claims = jwt.decode(
        token,
        private.public_key(),
        algorithms=[alg],
        audience="https://ca.test/1.0/sign",
        issuer="Admin JWK",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    assert claims["sub"] == "web.test"
    assert claims["sans"] == ["web.test"]
    assert claims["sha"] == "ab" * 32
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (
        1_800_000_000,
        1_800_000_000,
        1_800_000_300,
    )
    assert re.fullmatch("[0-9a-f]{64}", claims["jti"])


def test_revoke_token_has_no_sans():
    token = make_provisioner_token(
        _ours(KEYS["ES256"]()),
        kid="k",
        issuer="p",
        audience="https://ca.test/1.0/revoke",
        subject="1234",
        sans=None,
    )
    assert "sans" not in read_claims(token).claims


def test_renew_token_carries_the_chain():
    private = KEYS["ES256"]()
    chain = [b"leaf-der", b"intermediate-der"]
    token = make_renew_token(
        _ours(private),
        chain,
        subject="web.test",
        audience="https://ca.test/1.0/renew",
    )
    header = jwt.get_unverified_header(token)
    assert [base64.b64decode(c) for c in header["x5cInsecure"]] == chain
    claims = jwt.decode(
        token,
        private.public_key(),
        algorithms=["ES256"],
        audience="https://ca.test/1.0/renew",
    )
    assert claims["iss"] == "step-ca-client/1.0"
    assert claims["sub"] == "web.test"


@pytest.mark.parametrize(
    ("nbf", "exp"), [(100, 100), (200, 100)], ids=["empty", "backwards"]
)
def test_token_validity_must_be_positive(nbf, exp):
    with pytest.raises(TokenError, match="later than its not-before"):
        make_provisioner_token(
            _ours(KEYS["ES256"]()),
            kid="k",
            issuer="p",
            audience="a",
            subject="s",
            not_before=nbf,
            not_after=exp,
        )


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "a..c", "!!!.e30.sig", "e30.W10.sig"],
    ids=["empty", "two-parts", "empty-part", "bad-base64", "array-payload"],
)
def test_malformed_tokens(token):
    with pytest.raises(TokenError, match="malformed token"):
        read_claims(token)
