"""`Client(provisioner_key_ttl=...)`: what reaches the component's environment.

That the core then keeps the key is tested in tests/unit; bench/run.py shows
what it saves inside the component.
"""

from __future__ import annotations

import pytest
from stepwasm_host import Client
from stepwasm_host.api import PROVISIONER_KEY_TTL_ENV

pytestmark = pytest.mark.host


class _NoRuntime:
    """Stands in for the runtime: these tests never call the component."""


def _client(tmp_path, **options) -> Client:
    return Client(tmp_path / "step", tmp_path, runtime=_NoRuntime(), **options)


def test_off_by_default(tmp_path) -> None:
    env = dict(_client(tmp_path)._env())
    assert PROVISIONER_KEY_TTL_ENV not in env
    assert env["STEPPATH"] == str(tmp_path / "step")


def test_ttl_is_passed_to_the_component(tmp_path) -> None:
    env = dict(_client(tmp_path, provisioner_key_ttl=300)._env())
    assert float(env[PROVISIONER_KEY_TTL_ENV]) == 300.0


@pytest.mark.parametrize("ttl", [-1, float("nan")], ids=["negative", "nan"])
def test_bad_ttl_is_refused(tmp_path, ttl: float) -> None:
    with pytest.raises(ValueError, match="provisioner_key_ttl"):
        _client(tmp_path, provisioner_key_ttl=ttl)


def test_the_core_reads_the_same_variable() -> None:
    from stepwasm_core.provisioner import KEY_CACHE_ENV

    assert KEY_CACHE_ENV == PROVISIONER_KEY_TTL_ENV
