"""Fixtures shared by the suites: the built component and a way to run it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COMPONENT = Path(os.environ.get("STEPWASM_COMPONENT", REPO / "dist" / "stepwasm.wasm"))


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def error_line(self) -> str:
        """The one line a failed command printed, checked to be one line."""
        assert self.code != 0, f"expected a failure, got: {self.stdout}"
        # Progress lines ("✔ Provisioner: ...") may come before the error.
        lines = [
            ln for ln in self.stderr.strip().splitlines() if not ln.startswith("✔")
        ]
        assert len(lines) == 1, f"expected one error line, got:\n{self.stderr}"
        return lines[0]


def _command() -> list[str]:
    script = Path(sys.prefix) / "bin" / "stepwasm"
    if script.exists():
        return [str(script)]
    code = "import sys; from stepwasm_host.cli import main; sys.exit(main())"
    return [sys.executable, "-c", code]


@dataclass
class Stepwasm:
    """Runs `stepwasm ARGS` as a user would, in `cwd` with STEPPATH set."""

    cwd: Path
    steppath: Path
    component: Path = COMPONENT

    def __call__(self, *args: str, stdin: str = "", timeout: float = 120) -> Result:
        env = dict(
            os.environ,
            STEPPATH=str(self.steppath),
            STEPWASM_COMPONENT=str(self.component),
        )
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "host"), env.get("PYTHONPATH", "")]
        )
        proc = subprocess.run(
            _command() + list(args),
            cwd=self.cwd,
            env=env,
            input=stdin,
            capture_output=True,
            check=False,
            text=True,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def component_path() -> Path:
    if not COMPONENT.is_file():
        pytest.fail(f"{COMPONENT} is missing: run ./build.sh first")
    return COMPONENT


@pytest.fixture
def stepwasm(component_path: Path, tmp_path: Path) -> Stepwasm:
    work = tmp_path / "work"
    work.mkdir()
    return Stepwasm(cwd=work, steppath=tmp_path / "step")


MakeStepwasm = Callable[[], Stepwasm]
