"""x509-limbo (the default selection of its runner) through `certificate
verify` inside the component: one instance, one `run` per case."""

from __future__ import annotations

from pathlib import Path

import pytest
from stepwasm_host import Client

from tests import limbo

pytestmark = pytest.mark.component


def test_limbo_in_component(component_path: Path, tmp_path: Path) -> None:
    selected, skipped = limbo.cases()
    assert (len(selected), skipped) == (141, 17)
    work = tmp_path / "work"
    work.mkdir()
    with Client(
        steppath=tmp_path / "step", workdir=work, component=component_path
    ) as client:

        def run(argv: list[str]) -> tuple[int, str]:
            result = client.run(argv)
            assert result.exit_code != 70, result.stderr
            return result.exit_code, result.stderr

        outcomes = limbo.run_all(run, work, selected)
    failed = {o.case_id for o in outcomes if not o.passed}
    assert failed == set(limbo.KNOWN_FAILURES), limbo.report(outcomes)
    passed = sum(o.passed for o in outcomes)
    assert passed == len(selected) - len(limbo.KNOWN_FAILURES)
