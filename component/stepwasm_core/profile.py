"""The step profile: `config/defaults.json` and the bootstrapped root."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import ConfigError, StorageError
from .fingerprint import fingerprint
from .pem import load_certificates
from .ports import PROFILE, Storage
from .userfiles import read_user_file
from .wire import parse_json

__all__ = [
    "DEFAULTS_PATH",
    "ROOT_PATH",
    "Profile",
    "load_profile",
    "resolve_profile",
]

DEFAULTS_PATH = "config/defaults.json"
ROOT_PATH = "certs/root_ca.crt"


@dataclass(frozen=True)
class Profile:
    """Where the CA is and which root to trust."""

    ca_url: str
    fingerprint: str
    root_pem: bytes
    root_der: bytes


def _read_defaults(storage: Storage) -> dict | None:
    try:
        raw = storage.read(PROFILE, DEFAULTS_PATH)
    except StorageError as exc:
        if exc.missing:
            return None
        raise
    try:
        obj = parse_json(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{DEFAULTS_PATH}: not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ConfigError(f"{DEFAULTS_PATH}: not a JSON object")
    return obj


def _root_from(pem: bytes, source: str) -> tuple[bytes, bytes]:
    certs = load_certificates(pem, source=source)
    return pem, certs[0].dump()


def load_profile(storage: Storage) -> Profile:
    """The bootstrapped profile; ConfigError when there is none."""
    return resolve_profile(storage, ca_url="", root_file="")


def resolve_profile(storage: Storage, *, ca_url: str, root_file: str) -> Profile:
    """The CA URL and root from the flags, else from the saved defaults."""
    defaults = _read_defaults(storage) or {}
    for field in ("ca-url", "fingerprint"):
        if not isinstance(defaults.get(field, ""), str):
            raise ConfigError(f"{DEFAULTS_PATH}: {field!r} must be a string")
    url = ca_url or defaults.get("ca-url") or ""
    if not url:
        raise ConfigError(
            "no CA URL: pass --ca-url and --root, or run ca bootstrap first"
        )

    if root_file:
        pem = read_user_file(storage, root_file, "--root")
        pem, der = _root_from(pem, root_file)
    else:
        try:
            pem = storage.read(PROFILE, ROOT_PATH)
        except StorageError as exc:
            if not exc.missing:
                raise
            raise ConfigError(
                "no root certificate: pass --root, or run ca bootstrap first"
            ) from None
        pem, der = _root_from(pem, ROOT_PATH)

    expected = str(defaults.get("fingerprint") or "")
    actual = fingerprint(der)
    if not root_file and expected and expected.lower() != actual:
        raise ConfigError(
            f"{ROOT_PATH} has fingerprint {actual}, but {DEFAULTS_PATH} "
            f"says {expected}: run ca bootstrap --force"
        )
    return Profile(ca_url=url, fingerprint=actual, root_pem=pem, root_der=der)


def save_profile(storage: Storage, profile: Profile, root_display: str) -> None:
    """Write the root, then the defaults that point at it."""
    storage.write(PROFILE, ROOT_PATH, profile.root_pem, secret=False)
    defaults = {
        "ca-url": profile.ca_url,
        "fingerprint": profile.fingerprint,
        "root": root_display,
    }
    data = (json.dumps(defaults, indent=4) + "\n").encode("utf-8")
    storage.write(PROFILE, DEFAULTS_PATH, data, secret=False)
