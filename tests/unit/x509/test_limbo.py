"""x509-limbo (the default selection of its runner) through `certificate
verify` in CPython; tests/component/test_limbo.py runs it in the component."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from stepwasm_core import cli
from stepwasm_core.errors import StorageError
from stepwasm_core.ports import FILES

from tests import limbo

pytestmark = pytest.mark.unit


class DirStorage:
    """Files under one directory; the profile is empty."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, scope: str, path: str) -> bytes:
        if scope != FILES or not (self.root / path).is_file():
            raise StorageError(path, missing=True)
        return (self.root / path).read_bytes()


def test_limbo_native(tmp_path: Path) -> None:
    selected, skipped = limbo.cases()
    assert (len(selected), skipped) == (141, 17)
    storage = DirStorage(tmp_path)

    def run(argv: list[str]) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        ctx = cli.Context(transport=None, storage=storage, stdout=out, stderr=err)
        code = cli.main(ctx, argv)
        assert code != 70, err.getvalue()  # an internal error is never an answer
        return code, err.getvalue()

    outcomes = limbo.run_all(run, tmp_path, selected)
    failed = {o.case_id for o in outcomes if not o.passed}
    assert failed == set(limbo.KNOWN_FAILURES), limbo.report(outcomes)
    # Every rejection is one line naming the file.
    for outcome in outcomes:
        if not outcome.accepted:
            assert len(outcome.detail.splitlines()) == 1
            assert outcome.detail.startswith("stepwasm: case")
