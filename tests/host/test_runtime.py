"""Loading the component: the compile cache, linking, sessions and traps."""

from __future__ import annotations

import hashlib
import os
import platform

import pytest
import wasmtime
from stepwasm_host.errors import ComponentError, ComponentNotFound, ComponentTrap
from stepwasm_host.http import Http
from stepwasm_host.runtime import (
    API,
    CLI_RUN,
    Ports,
    Runtime,
    cache_file_name,
    default_component_path,
    load_component,
    wasmtime_version,
)
from stepwasm_host.storage import Storage

pytestmark = pytest.mark.host


def tiny(tmp_path, name="tiny.wasm", text="(component)"):
    """A valid component that compiles in milliseconds."""
    path = tmp_path / name
    path.write_bytes(wasmtime.wat2wasm(text))
    return path


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(path, cache):
    return load_component(wasmtime.Engine(), path, cache)[1]


def test_second_load_uses_the_cache_file(tmp_path):
    path, cache = tiny(tmp_path), tmp_path / "cache"

    first = load(path, cache)
    second = load(path, cache)

    expected = cache / cache_file_name(sha256(path))
    assert not first.from_cache
    assert second.from_cache
    assert first.cache_file == second.cache_file == expected
    assert expected.is_file()
    assert oct(os.stat(cache).st_mode & 0o777) == "0o700"


def test_cache_key_is_the_wasm_hash_wasmtime_version_and_machine(tmp_path):
    name = cache_file_name("ab" * 32)

    assert "ab" * 32 in name
    assert f"wasmtime-{wasmtime_version()}" in name
    assert platform.machine() in name
    assert cache_file_name("ab" * 32, "1.0.0") != cache_file_name("ab" * 32, "2.0.0")


def test_cache_key_changes_with_the_wasm(tmp_path):
    cache = tmp_path / "cache"
    one = tiny(tmp_path, "one.wasm", "(component)")
    two = tiny(tmp_path, "two.wasm", "(component (core module))")

    a, b = load(one, cache), load(two, cache)

    assert a.sha256 != b.sha256
    assert a.cache_file != b.cache_file
    assert a.cache_file.is_file() and b.cache_file.is_file()


def test_rebuilding_the_wasm_in_place_is_noticed(tmp_path):
    cache = tmp_path / "cache"
    path = tiny(tmp_path)
    before = load(path, cache)

    path.write_bytes(wasmtime.wat2wasm("(component (core module))"))
    after = load(path, cache)

    assert after.sha256 == sha256(path) != before.sha256
    assert not after.from_cache


def test_corrupt_cache_file_is_ignored_and_rebuilt(tmp_path):
    path, cache = tiny(tmp_path), tmp_path / "cache"
    cache.mkdir(mode=0o700)
    cache_file = cache / cache_file_name(sha256(path))
    cache_file.write_bytes(b"\x7fELF garbage")
    cache_file.chmod(0o600)

    rebuilt = load(path, cache)
    again = load(path, cache)

    assert not rebuilt.from_cache
    assert again.from_cache


def test_cache_writes_leave_no_temporary_files(tmp_path):
    path, cache = tiny(tmp_path), tmp_path / "cache"

    load(path, cache)

    assert all(not p.name.endswith(".tmp") for p in cache.iterdir())


def test_cache_directory_writable_by_others_is_not_used(tmp_path):
    path, cache = tiny(tmp_path), tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)

    info = load(path, cache)

    assert info.cache_file is None
    assert not list(cache.glob("*.cwasm"))


def test_cache_file_writable_by_others_is_not_loaded(tmp_path):
    path, cache = tiny(tmp_path), tmp_path / "cache"
    first = load(path, cache)
    first.cache_file.chmod(0o666)

    second = load(path, cache)

    assert not second.from_cache
    assert first.cache_file.stat().st_mode & 0o777 == 0o600


def test_old_cache_entries_are_pruned(tmp_path):
    cache = tmp_path / "cache"
    for i in range(6):
        load(
            tiny(tmp_path, f"c{i}.wasm", f'(component (core module (@name "m{i}")))'),
            cache,
        )

    assert len(list(cache.glob("component-*.cwasm"))) == 4


def test_missing_component_says_how_to_build_it(tmp_path):
    with pytest.raises(ComponentNotFound) as info:
        Runtime(tmp_path / "dist" / "stepwasm.wasm", cache_dir=tmp_path)

    assert str(info.value).startswith("component not found at ")
    assert str(info.value).endswith(": run ./build.sh")


def test_not_a_component(tmp_path):
    path = tmp_path / "bad.wasm"
    path.write_bytes(b"\0asm garbage")

    with pytest.raises(ComponentError) as info:
        Runtime(path, cache_dir=tmp_path / "cache")

    assert "not a usable component" in str(info.value)


def test_component_path_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STEPWASM_COMPONENT", str(tmp_path / "x.wasm"))
    assert default_component_path() == tmp_path / "x.wasm"

    monkeypatch.delenv("STEPWASM_COMPONENT")
    assert default_component_path().parts[-2:] == ("dist", "stepwasm.wasm")


# With a real component (retarget with STEPWASM_COMPONENT).


@pytest.fixture(scope="session")
def runtime(host_component, compile_cache) -> Runtime:
    return Runtime(host_component, cache_dir=compile_cache / "stepwasm")


def ports(tmp_path) -> Ports:
    (tmp_path / "work").mkdir(exist_ok=True)
    return Ports(Storage(tmp_path / "step", tmp_path / "work"), Http())


def test_component_links_and_exports_the_api_and_the_command(runtime, tmp_path):
    session = runtime.session(ports(tmp_path))

    for name in ("bootstrap", "read-profile", "token", "certificate", "renew"):
        assert session._func(API, name)
    assert session._func(CLI_RUN, "run")


def test_second_load_comes_from_the_cache(runtime, host_component, compile_cache):
    again = Runtime(host_component, cache_dir=compile_cache / "stepwasm")

    assert again.load_info.from_cache
    assert again.load_info.cache_file == runtime.load_info.cache_file


# With the toy component (toy/app.py), whose behaviour is known.


@pytest.fixture(scope="session")
def proto_runtime(proto_component, compile_cache) -> Runtime:
    return Runtime(proto_component, cache_dir=compile_cache / "stepwasm")


def test_imports_reach_the_session_ports(proto_runtime, tmp_path, capfd):
    session = proto_runtime.session(
        ports(tmp_path), argv=["stepwasm", "x"], inherit_stdio=True
    )

    assert session.run_cli() is True

    key = tmp_path / "step" / "a" / "b.txt"
    assert key.read_bytes() == b"hi"
    assert key.stat().st_mode & 0o777 == 0o600
    out = capfd.readouterr().out
    assert "argv ['stepwasm', 'x']" in out
    assert "Error_Connect" in out


def test_results_are_split_whatever_wasmtime_py_makes_of_them(proto_runtime, tmp_path):
    from stepwasm_host.runtime import _split_result
    from wasmtime.component import Record, Variant

    session = proto_runtime.session(ports(tmp_path))
    error = Record()
    profile_type = session._func(API, "bootstrap")[1]
    token_type = session._func(API, "token")[1]
    revoke_type = session._func(API, "revoke")[1]
    run_type = session._func(CLI_RUN, "run")[1]

    assert _split_result(profile_type, Variant("err", error)) == (False, error)
    assert _split_result(token_type, "ott") == (True, "ott")
    assert _split_result(token_type, error) == (False, error)
    assert _split_result(revoke_type, None) == (True, None)
    assert _split_result(revoke_type, error) == (False, error)
    assert _split_result(run_type, Variant("ok")) == (True, None)
    assert _split_result(run_type, Variant("err")) == (False, None)


def test_a_trap_is_reported_and_the_session_is_spent(proto_runtime, tmp_path):
    session = proto_runtime.session(ports(tmp_path))

    with pytest.raises(ComponentTrap) as info:
        session.call(API, "bootstrap", "https://127.0.0.1:1", "ab", False)

    assert "\n" not in str(info.value)
    assert "unreachable" in str(info.value)
    assert session.broken
    with pytest.raises(ComponentTrap):
        session.call(API, "run", ["a"])


def test_ctrl_c_inside_an_import_reaches_the_caller(proto_runtime, tmp_path):
    class Interrupting:
        allow_client_certificates = True

        def send(self, request):
            raise KeyboardInterrupt

    session = proto_runtime.session(
        Ports(Storage(tmp_path / "step", tmp_path), Interrupting())  # type: ignore[arg-type]
    )

    with pytest.raises(KeyboardInterrupt):
        session.run_cli()
    assert session.broken
