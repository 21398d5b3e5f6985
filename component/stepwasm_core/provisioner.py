"""Provisioners: list them, pick the JWK one, decrypt its key."""

from __future__ import annotations

import json

from .caclient import CAClient
from .crypto import jose, keys
from .errors import CryptoError, DecryptionError, InputError, TokenError
from .wire import Provisioner

__all__ = ["decrypt_provisioner_key", "find_jwk_provisioner", "list_provisioners"]

#: Safety stop for a CA that keeps sending cursors.
_MAX_PAGES = 1000


def list_provisioners(client: CAClient) -> list[Provisioner]:
    """Every provisioner, following `nextCursor` until it is empty."""
    found: list[Provisioner] = []
    cursor = ""
    for _ in range(_MAX_PAGES):
        page = client.provisioner_page(cursor)
        found.extend(page.provisioners)
        if not page.next_cursor or page.next_cursor == cursor:
            return found
        cursor = page.next_cursor
    raise TokenError("the CA's provisioner list does not end")


def find_jwk_provisioner(
    provisioners: list[Provisioner], name: str, kid: str = ""
) -> Provisioner:
    """The JWK provisioner called `name` (and with `kid`, when given)."""
    named = [p for p in provisioners if p.name == name]
    if not named:
        known = ", ".join(sorted({repr(p.name) for p in provisioners})) or "none"
        raise InputError(f"provisioner {name!r} not found; the CA has: {known}")
    jwk = [p for p in named if p.type.upper() == "JWK"]
    if not jwk:
        raise InputError(
            f"provisioner {name!r} is of type {named[0].type}; "
            "only JWK provisioners can make tokens here"
        )
    if kid:
        jwk = [p for p in jwk if p.kid == kid]
        if not jwk:
            raise InputError(f"provisioner {name!r} has no key with kid {kid!r}")
    if len(jwk) > 1:
        kids = ", ".join(p.kid for p in jwk)
        raise InputError(
            f"provisioner {name!r} has several keys; pick one with --kid ({kids})"
        )
    return jwk[0]


def decrypt_provisioner_key(
    provisioner: Provisioner, password: bytes
) -> keys.PrivateKey:
    """Decrypt the provisioner's `encryptedKey` (a compact JWE) with `password`."""
    if not provisioner.encrypted_key:
        raise TokenError(
            f"provisioner {provisioner.name!r} publishes no encrypted key; "
            "make the token with its private key elsewhere and pass --token"
        )
    try:
        payload = jose.decrypt_compact(provisioner.encrypted_key, password)
    except DecryptionError:
        raise DecryptionError(
            f"cannot decrypt the key of provisioner {provisioner.name!r}: "
            "wrong password"
        ) from None
    try:
        jwk = json.loads(payload.decode("utf-8"))
        key = keys.private_key_from_jwk(jwk)
    except (UnicodeDecodeError, ValueError, CryptoError) as exc:
        raise TokenError(
            f"provisioner {provisioner.name!r}: the decrypted key is not a "
            f"usable private JWK ({exc})"
        ) from None
    return key
