"""One-time tokens (JWTs) for step-ca: sign, renew and revoke."""

from __future__ import annotations

import base64
import binascii
import os
import time
from dataclasses import dataclass

from .crypto import jose, keys
from .errors import TokenError
from .wire import parse_json

__all__ = [
    "CLAIM_AUD",
    "CLAIM_SANS",
    "CLAIM_SHA",
    "RENEW_ISSUER",
    "TOKEN_LIFETIME",
    "TokenClaims",
    "make_provisioner_token",
    "make_renew_token",
    "read_claims",
]

CLAIM_ISS = "iss"
CLAIM_SUB = "sub"
CLAIM_AUD = "aud"
CLAIM_SANS = "sans"
CLAIM_SHA = "sha"
CLAIM_JTI = "jti"

#: The issuer step's clients put in a renew token.
RENEW_ISSUER = "step-ca-client/1.0"
#: How long a token is valid, as step makes them (seconds).
TOKEN_LIFETIME = 5 * 60


def new_jti() -> str:
    """A random token id: 32 bytes as 64 hex characters."""
    return os.urandom(32).hex()


def make_provisioner_token(
    key: keys.PrivateKey,
    *,
    kid: str,
    issuer: str,
    audience: str,
    subject: str,
    sans: list[str] | None = None,
    root_fingerprint: str = "",
    not_before: int | None = None,
    not_after: int | None = None,
    now: float | None = None,
) -> str:
    """A JWK provisioner's one-time token, signed with its key.

    `sans=None` leaves the claim out (revoke tokens); an empty list means
    "just the subject", as step does.
    """
    if not subject:
        raise TokenError("a token needs a subject")
    issued = int(now if now is not None else time.time())
    nbf = not_before if not_before is not None else issued
    exp = not_after if not_after is not None else nbf + TOKEN_LIFETIME
    if exp <= nbf:
        raise TokenError("the token's not-after must be later than its not-before")
    claims: dict = {
        CLAIM_ISS: issuer,
        CLAIM_SUB: subject,
        CLAIM_AUD: audience,
        "iat": issued,
        "nbf": nbf,
        "exp": exp,
        CLAIM_JTI: new_jti(),
    }
    if sans is not None:
        claims[CLAIM_SANS] = list(sans) or [subject]
    if root_fingerprint:
        claims[CLAIM_SHA] = root_fingerprint
    header = {"alg": key.jws_alg, "kid": kid, "typ": "JWT"}
    return jose.sign_compact(header, claims, key)


def make_renew_token(
    key: keys.PrivateKey,
    chain_der: list[bytes],
    *,
    subject: str,
    audience: str,
    now: float | None = None,
) -> str:
    """A renew token: signed with the certificate's key, chain in `x5cInsecure`."""
    issued = int(now if now is not None else time.time())
    claims = {
        CLAIM_ISS: RENEW_ISSUER,
        CLAIM_SUB: subject,
        CLAIM_AUD: audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + TOKEN_LIFETIME,
        CLAIM_JTI: new_jti(),
    }
    header = {
        "alg": key.jws_alg,
        "typ": "JWT",
        # Standard base64 (not base64url) DER, leaf first (RFC 7515 4.1.6).
        "x5cInsecure": [base64.b64encode(der).decode("ascii") for der in chain_der],
    }
    return jose.sign_compact(header, claims, key)


@dataclass(frozen=True)
class TokenClaims:
    """What the client reads from a token it did not make (unverified)."""

    header: dict
    claims: dict

    @property
    def subject(self) -> str:
        return str(self.claims.get(CLAIM_SUB) or "")

    @property
    def sans(self) -> list[str]:
        sans = self.claims.get(CLAIM_SANS)
        return [str(s) for s in sans] if isinstance(sans, list) else []

    @property
    def expires(self) -> int | None:
        exp = self.claims.get("exp")
        return int(exp) if isinstance(exp, (int, float)) else None


def _b64url_json(part: str, what: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        obj = parse_json(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise TokenError(f"malformed token: the {what} is not base64url JSON") from None
    if not isinstance(obj, dict):
        raise TokenError(f"malformed token: the {what} is not a JSON object")
    return obj


def read_claims(token: str) -> TokenClaims:
    """Split a compact JWT and decode its header and claims, unverified."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenError("malformed token: expected three dot-separated parts")
    return TokenClaims(
        _b64url_json(parts[0], "header"), _b64url_json(parts[1], "payload")
    )
