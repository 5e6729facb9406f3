"""``pyramid flaky`` on a ledger built directly from results records (no pytest runs):
release on proof with its chance printed, and bad input as one line, exit 3."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main as pyramid
from pytest_pyramid.verdict.ledger import append_run

if TYPE_CHECKING:
    from pathlib import Path

ENTRY = """
[[tool.pyramid.quarantine]]
test = "tests/test_a.py::test_flaky"
owner = "@qa"
expires = 2999-01-01
reason = "flaky"
"""
BASE = '[tool.pyramid]\ndefault_tier = "unit"\n'


def ledger(path: Path, clean_runs: int) -> Path:
    db = path / "ledger.db"
    runs = [("failed", 1), ("passed", 1)] + [("passed", 0)] * clean_runs
    for number, (outcome, reruns) in enumerate(runs, start=1):
        append_run(db, {"run_id": f"run-{number}", "tree": {"digest": f"t{number}"},
                        "branch": "main", "created_at": "2026-12-06T10:00:00Z"},
                   [{"nodeid": "tests/test_a.py::test_flaky", "tier": "unit", "outcome": outcome,
                     "reruns": reruns, "setup_s": 0.0, "call_s": 0.1, "teardown_s": 0.0},
                    {"nodeid": "tests/test_a.py::test_ok", "tier": "unit", "outcome": "passed",
                     "setup_s": 0.0, "call_s": 0.1, "teardown_s": 0.0}])
    return db


@pytest.mark.parametrize(("clean", "released"), [(58, False), (59, True)])
def test_release_after_59_clean_runs_with_the_chance_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean: int, released: bool,
) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(BASE + ENTRY)
    db = ledger(tmp_path, clean)
    assert pyramid(["flaky", "release", "--history", str(db), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert config.read_text() == BASE + ENTRY  # without --write nothing changes
    if not released:
        assert f"kept: tests/test_a.py::test_flaky: {clean} clean run(s) in a row" in out
        return
    assert ("release: tests/test_a.py::test_flaky: 59 clean runs in a row; a test still flaky "
            "at 5% passes that many with chance 4.8%") in out
    assert "-test = \"tests/test_a.py::test_flaky\"" in out
    assert pyramid(["flaky", "report", "--history", str(db), "--config", str(config)]) == 0
    assert ("releasable: 1\n  tests/test_a.py::test_flaky: 59 clean runs in a row (a test still "
            "flaky at 5% passes that many with chance 4.8%)") in capsys.readouterr().out
    assert pyramid(["flaky", "release", "--write", "--history", str(db),
                    "--config", str(config)]) == 0
    assert config.read_text() == BASE


@pytest.mark.parametrize(
    ("config", "args", "message"),
    [
        (BASE, ["report"], "no flake ledger named: pass --history DB"),
        (BASE, ["report", "--history", "missing.db"], "missing.db: no run history there yet"),
        (BASE + "[tool.pyramid.flaky]\nwindw = 3\n", ["report", "--history", "ledger.db"],
         "flaky.windw = 3: unknown key"),
        (BASE + "[tool.pyramid.flaky]\nmax_share = 2\n", ["quarantine", "--history", "ledger.db"],
         "flaky.max_share = 2"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    config: str, args: list[str], message: str,
) -> None:
    (tmp_path / "pyproject.toml").write_text(config)
    ledger(tmp_path, 1)
    monkeypatch.chdir(tmp_path)
    assert pyramid(["flaky", *args]) == 3
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
