"""Reading Wycheproof vector files into pytest parameters.

The vectors live outside the repository: ``<repo>/../shared/vectors`` or the
directory named by ``STEPWASM_VECTORS``. When they are missing every
Wycheproof test fails (never skips) and says where it looked.

Each test case becomes one ``pytest.param`` with an id such as
``tc12-acceptable-ShortKey``; ``Case.why()`` spells out the flags (with the
file's notes) for failure messages.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
VECTORS = Path(os.environ.get("STEPWASM_VECTORS") or REPO.parent / "shared" / "vectors")
WYCHEPROOF = VECTORS / "wycheproof"


@dataclass(frozen=True)
class Case:
    """One Wycheproof test with its group and the file's notes."""

    file: str
    group: dict[str, Any] = field(repr=False)
    test: dict[str, Any] = field(repr=False)
    notes: dict[str, Any] = field(repr=False)

    @property
    def tc_id(self) -> int:
        return self.test["tcId"]

    @property
    def result(self) -> str:
        return self.test["result"]

    @property
    def flags(self) -> list[str]:
        return list(self.test.get("flags", []))

    def hex(self, name: str) -> bytes:
        return bytes.fromhex(self.test[name])

    def why(self) -> str:
        """A line for assertion messages: the case, its comment and its flags."""
        parts = [f"{self.file} tcId {self.tc_id} ({self.result})"]
        if self.test.get("comment"):
            parts.append(repr(self.test["comment"]))
        for flag in self.flags:
            note = self.notes.get(flag, {})
            parts.append(f"[{flag}: {note.get('description', '')}]")
        return " ".join(parts)


class _Missing:
    """Stands for the cases of a vector file that could not be read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return "missing"


@cache
def load(name: str) -> dict[str, Any] | None:
    """The parsed file ``name`` from the Wycheproof folder, or None if absent."""
    path = WYCHEPROOF / name
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def cases(name: str) -> list[Any]:
    """One ``pytest.param`` per test of ``name`` (one failing param if absent)."""
    data = load(name)
    if data is None:
        return [pytest.param(_Missing(WYCHEPROOF / name), id="vectors-missing")]
    params = []
    for group in data["testGroups"]:
        for test in group["tests"]:
            case = Case(name, group, test, data.get("notes", {}))
            label = "-".join([f"tc{case.tc_id}", case.result, *case.flags])
            params.append(pytest.param(case, id=label))
    return params


def need(case: Case | _Missing) -> Case:
    """Return the case, or fail the test when the vector file is missing."""
    if isinstance(case, _Missing):
        pytest.fail(
            f"Wycheproof vectors not found: {case.path} does not exist. "
            f"Put the shared vectors at {VECTORS} or set STEPWASM_VECTORS."
        )
    return case


def check_count(name: str) -> int:
    """Assert that the file holds ``numberOfTests`` tests; return that count."""
    data = load(name)
    if data is None:
        pytest.fail(
            f"Wycheproof vectors not found: {WYCHEPROOF / name} does not exist. "
            f"Put the shared vectors at {VECTORS} or set STEPWASM_VECTORS."
        )
    total = sum(len(group["tests"]) for group in data["testGroups"])
    assert total == data["numberOfTests"], f"{name}: {total} tests found"
    assert len(cases(name)) == total
    return total
