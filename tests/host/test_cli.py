"""The `stepwasm` console script: exit codes and one-line host errors."""

from __future__ import annotations

import pytest
from stepwasm_host import cli
from stepwasm_host.errors import ComponentTrap
from stepwasm_host.runtime import Session, wasmtime_version

pytestmark = pytest.mark.host


@pytest.fixture
def env(monkeypatch, tmp_path, compile_cache):
    """A working directory, a STEPPATH and the session's compile cache."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("STEPPATH", str(tmp_path / "step"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(compile_cache))
    return tmp_path


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_missing_component_is_one_line_and_exit_1(env, monkeypatch, capsys):
    monkeypatch.setenv("STEPWASM_COMPONENT", str(env / "dist" / "stepwasm.wasm"))

    code = cli.main(["ca", "health"])

    line = one_line(capsys.readouterr().err)
    assert code == 1
    assert "component not found at " in line
    assert line.endswith(": run ./build.sh")


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert wasmtime_version() in capsys.readouterr().out


def test_command_runs_in_the_component(env, monkeypatch, proto_component, capfd):
    monkeypatch.setenv("STEPWASM_COMPONENT", str(proto_component))

    code = cli.main(["x"])

    out = capfd.readouterr().out
    assert code == 0
    assert "argv ['stepwasm', 'x']" in out
    assert (env / "step" / "a" / "b.txt").read_bytes() == b"hi"


def test_failed_command_exits_1(env, monkeypatch, proto_component):
    monkeypatch.setenv("STEPWASM_COMPONENT", str(proto_component))
    monkeypatch.setattr(Session, "call", lambda self, *a: (False, None))

    assert cli.main(["x"]) == 1


def test_trap_is_one_line_and_exit_2(env, monkeypatch, proto_component, capsys):
    monkeypatch.setenv("STEPWASM_COMPONENT", str(proto_component))

    def trap(self, *args):
        raise ComponentTrap("component trapped: wasm `unreachable` instruction")

    monkeypatch.setattr(Session, "call", trap)

    code = cli.main(["x"])

    assert code == 2
    assert one_line(capsys.readouterr().err).startswith("stepwasm: component trapped")


def test_host_bug_is_one_line(env, monkeypatch, proto_component, capsys):
    monkeypatch.setenv("STEPWASM_COMPONENT", str(proto_component))
    monkeypatch.delenv("STEPWASM_DEBUG", raising=False)

    def bug(self, *args):
        raise KeyError("oops")

    monkeypatch.setattr(Session, "call", bug)

    code = cli.main(["x"])

    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert one_line(err).startswith("stepwasm: host error: KeyError")
