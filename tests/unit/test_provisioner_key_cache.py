"""The in-process cache of decrypted provisioner keys: opt-in, bounded, exact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stepwasm_core import provisioner as prov
from stepwasm_core.errors import DecryptionError
from stepwasm_core.wire import Provisioner

from .fakes import PASSWORD, FakeCA

pytestmark = pytest.mark.unit


@pytest.fixture
def jwk_provisioner() -> Provisioner:
    entry = FakeCA().provisioners[-1]
    return Provisioner.from_json(entry)


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(prov.KEY_CACHE_ENV, raising=False)
    prov.clear_key_cache()
    yield
    prov.clear_key_cache()


@pytest.fixture
def decryptions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the provisioners whose key was really decrypted."""
    seen: list[str] = []
    real = prov._decrypt

    def counting(provisioner: Provisioner, password: bytes):
        seen.append(provisioner.name)
        return real(provisioner, password)

    monkeypatch.setattr(prov, "_decrypt", counting)
    return seen


@pytest.mark.parametrize(
    ("value", "ttl"),
    [
        ("", 0.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("nan", 0.0),
        ("soon", 0.0),
        ("300", 300.0),
        ("1e9", 86400.0),
    ],
    ids=["unset", "zero", "negative", "nan", "junk", "300s", "capped"],
)
def test_ttl_comes_from_the_environment(monkeypatch, value: str, ttl: float) -> None:
    monkeypatch.setenv(prov.KEY_CACHE_ENV, value)
    assert prov.key_cache_ttl() == ttl


def test_off_by_default(jwk_provisioner, decryptions) -> None:
    first = prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD)
    second = prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD)
    assert decryptions == ["Admin JWK", "Admin JWK"]
    assert first.public_key().spki_der() == second.public_key().spki_der()


def test_kept_for_the_ttl(monkeypatch, jwk_provisioner, decryptions) -> None:
    monkeypatch.setenv(prov.KEY_CACHE_ENV, "60")
    first = prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD)
    assert prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD) is first
    assert decryptions == ["Admin JWK"]


def test_expires(monkeypatch, jwk_provisioner, decryptions) -> None:
    clock = [1000.0]
    monkeypatch.setattr(prov.time, "monotonic", lambda: clock[0])
    prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD, ttl=30)
    clock[0] += 29
    prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD, ttl=30)
    assert len(decryptions) == 1
    clock[0] += 2
    prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD, ttl=30)
    assert len(decryptions) == 2


def test_wrong_password_never_hits(jwk_provisioner, decryptions) -> None:
    prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD, ttl=60)
    with pytest.raises(DecryptionError, match="wrong password"):
        prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD + b"x", ttl=60)
    assert len(decryptions) == 2


def test_cleared_and_bounded(jwk_provisioner, decryptions) -> None:
    prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD, ttl=60)
    prov.clear_key_cache()
    prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD, ttl=60)
    assert len(decryptions) == 2
    cache = prov._KeyCache()
    key = prov.decrypt_provisioner_key(jwk_provisioner, PASSWORD)
    for i in range(prov._KEY_CACHE_MAX_KEYS + 5):
        cache.put(cache.ident(f"jwe-{i}", b"pw"), key, 10_000_000_000.0 + i)
    assert len(cache._entries) == prov._KEY_CACHE_MAX_KEYS
    assert cache.get(cache.ident("jwe-0", b"pw"), 0.0) is None
