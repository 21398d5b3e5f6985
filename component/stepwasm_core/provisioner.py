"""Provisioners: list them, pick the JWK one, decrypt its key."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

from .caclient import CAClient
from .crypto import jose, keys
from .errors import CryptoError, DecryptionError, InputError, TokenError
from .wire import Provisioner

__all__ = [
    "KEY_CACHE_ENV",
    "clear_key_cache",
    "decrypt_provisioner_key",
    "find_jwk_provisioner",
    "key_cache_ttl",
    "list_provisioners",
]

#: How many provisioner names an error may list.
_HINT_NAMES = 8
#: Safety stop for a CA that keeps sending cursors.
_MAX_PAGES = 1000

#: Seconds a decrypted provisioner key may stay in memory for later tokens of
#: the same process. Unset or 0 (the default) keeps none: every token pays the
#: PBKDF2 of the `encryptedKey` again. Never written anywhere.
KEY_CACHE_ENV = "STEPWASM_PROVISIONER_KEY_TTL"
#: Upper bounds of the time-to-live (one day) and of the number of keys kept.
_KEY_CACHE_MAX_TTL = 86400.0
_KEY_CACHE_MAX_KEYS = 16


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
        raise InputError(
            f"provisioner {name!r} not found; {_known(provisioners, name)}"
        )
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


def key_cache_ttl() -> float:
    """The time-to-live the user allows in `$STEPWASM_PROVISIONER_KEY_TTL`."""
    try:
        ttl = float(os.environ.get(KEY_CACHE_ENV, "") or 0)
    except ValueError:
        return 0.0
    if not ttl > 0:  # also refuses NaN
        return 0.0
    return min(ttl, _KEY_CACHE_MAX_TTL)


class _KeyCache:
    """Decrypted provisioner keys by (`encryptedKey`, password), with expiry.

    The lookup id is an HMAC under a random per-process key, so what sits in
    memory beside the decrypted key says no more about the password than the
    key itself; a wrong password never finds an entry.
    """

    def __init__(self) -> None:
        self._secret = b""
        self._entries: dict[bytes, tuple[float, keys.PrivateKey]] = {}

    def ident(self, encrypted_key: str, password: bytes) -> bytes:
        if not self._secret:
            # Made on first use, so that a build-time snapshot holds none.
            self._secret = os.urandom(32)
        data = len(encrypted_key).to_bytes(4, "big") + encrypted_key.encode()
        return hmac.new(self._secret, data + password, hashlib.sha256).digest()

    def get(self, ident: bytes, now: float) -> keys.PrivateKey | None:
        entry = self._entries.get(ident)
        if entry is None:
            return None
        if entry[0] <= now:
            del self._entries[ident]
            return None
        return entry[1]

    def put(self, ident: bytes, key: keys.PrivateKey, expires: float) -> None:
        now = time.monotonic()
        entries = {i: e for i, e in self._entries.items() if e[0] > now}
        while len(entries) >= _KEY_CACHE_MAX_KEYS:
            del entries[min(entries, key=lambda i: entries[i][0])]
        entries[ident] = (expires, key)
        self._entries = entries

    def clear(self) -> None:
        self._entries.clear()


_key_cache = _KeyCache()


def clear_key_cache() -> None:
    """Forget every decrypted provisioner key this process keeps."""
    _key_cache.clear()


def _known(provisioners: list[Provisioner], name: str) -> str:
    """A hint for a name that is not there: a near match, or some names."""
    folded = [p.name for p in provisioners if p.name.casefold() == name.casefold()]
    if folded:
        return f"did you mean {folded[0]!r}?"
    names = sorted({p.name for p in provisioners})
    if not names:
        return "the CA has none"
    shown = ", ".join(repr(n) for n in names[:_HINT_NAMES])
    more = len(names) - _HINT_NAMES
    return f"the CA has {shown}" + (f" and {more} more" if more > 0 else "")


def decrypt_provisioner_key(
    provisioner: Provisioner, password: bytes, *, ttl: float | None = None
) -> keys.PrivateKey:
    """Decrypt the provisioner's `encryptedKey` (a compact JWE) with `password`.

    With a `ttl` in seconds (default `key_cache_ttl()`: 0 unless the user set
    it) the decrypted key stays in this process's memory that long, and later
    calls with the same `encryptedKey` and password skip the PBKDF2.
    """
    if ttl is None:
        ttl = key_cache_ttl()
    ttl = min(ttl, _KEY_CACHE_MAX_TTL) if ttl > 0 else 0.0
    ident = b""
    if ttl and provisioner.encrypted_key:
        ident = _key_cache.ident(provisioner.encrypted_key, bytes(password))
        cached = _key_cache.get(ident, time.monotonic())
        if cached is not None:
            return cached
    key = _decrypt(provisioner, password)
    if ident:
        _key_cache.put(ident, key, time.monotonic() + ttl)
    return key


def _decrypt(provisioner: Provisioner, password: bytes) -> keys.PrivateKey:
    if not provisioner.encrypted_key:
        raise TokenError(
            f"provisioner {provisioner.name!r} publishes no encrypted key; "
            "make the token with its private key elsewhere and pass --token"
        )
    try:
        payload = jose.decrypt_compact(provisioner.encrypted_key, password)
    except DecryptionError as exc:
        # Only the key unwrap tells a wrong password; past it, the JWE is bad.
        reason = "wrong password" if str(exc) == jose.WRONG_PASSWORD else str(exc)
        raise DecryptionError(
            f"cannot decrypt the key of provisioner {provisioner.name!r}: {reason}"
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
