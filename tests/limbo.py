"""x509-limbo through `certificate verify`, in one process.

The suite's own runner (`limbo_run.py`, next to the vectors) starts one shell
command per case. Here its case selection (`skip_reason`), file layout and
command template are reused, but every case runs in one interpreter: natively
through `cli.main`, or in one component instance through `Client.run`.

`KNOWN_FAILURES` lists the cases stepwasm gets wrong, each with the reason;
the README repeats them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VECTORS = Path(os.environ.get("STEPWASM_VECTORS") or REPO.parent / "shared" / "vectors")
LIMBO = VECTORS / "x509-limbo"
#: The command the README's `limbo_run.py --cmd` uses as well.
TEMPLATE = "stepwasm certificate verify {leaf} --roots {roots} --host {host}"
TIME_FLAG = "--time {time}"

#: Case id -> why stepwasm does not give the expected answer.
KNOWN_FAILURES: dict[str, str] = {
    "pathlen::validation-ignores-pathlen-in-leaf": (
        "the leaf is a CA certificate (CA:TRUE); stepwasm refuses a CA as an "
        "end entity, as webpki::ee-basicconstraints-ca in the same suite wants"
    ),
    "rfc5280::aki::leaf-missing-aki": (
        "a leaf without an authority key identifier is accepted, as Go does: "
        "private PKIs often leave it out"
    ),
}


def load_runner():
    """Import the suite's `limbo_run.py`; fail loudly when it is missing."""
    script = LIMBO / "limbo_run.py"
    if not script.is_file():
        raise FileNotFoundError(
            f"x509-limbo not found: {script} does not exist. Put the shared "
            f"vectors at {VECTORS} or set STEPWASM_VECTORS."
        )
    spec = importlib.util.spec_from_file_location("limbo_run", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Outcome:
    case_id: str
    expected: str
    accepted: bool
    detail: str

    @property
    def passed(self) -> bool:
        return self.accepted == (self.expected == "SUCCESS")


def cases(file: str = "limbo-subset.json") -> tuple[list[dict], int]:
    """The cases limbo_run.py would run by default, and how many it skips."""
    runner = load_runner()
    suite = json.loads((LIMBO / file).read_text())
    runnable, skipped = [], 0
    for case in suite["testcases"]:
        if runner.skip_reason(case, TIME_FLAG) is None:
            runnable.append(case)
        else:
            skipped += 1
    return runnable, skipped


def argv_for(case: dict, workdir: Path, index: int) -> list[str]:
    """Write the case's files under `workdir` and return the argv (relative)."""
    runner = load_runner()
    case_dir = workdir / f"case{index:04d}"
    case_dir.mkdir()
    command = runner.build_command(case, case_dir, TEMPLATE, TIME_FLAG)
    argv = shlex.split(command)[1:]
    prefix = str(workdir) + os.sep
    return [a.removeprefix(prefix) for a in argv]


def run_all(
    run: Callable[[list[str]], tuple[int, str]], workdir: Path, selected: list[dict]
) -> list[Outcome]:
    """Run every case with `run(argv) -> (exit code, stderr)`."""
    outcomes = []
    for index, case in enumerate(selected):
        code, err = run(argv_for(case, workdir, index))
        outcomes.append(
            Outcome(case["id"], case["expected_result"], code == 0, err.strip())
        )
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    lines = [
        f"{o.case_id}: expected {o.expected}, "
        f"{'accepted' if o.accepted else 'rejected'} | {o.detail}"
        for o in outcomes
        if not o.passed
    ]
    return "\n".join(lines)
