"""The report registry (``pytest_pyramid/report_kinds.py``): ``pyramid report``'s flags,
``--pyramid-report``'s kinds and help, the run's outputs and the writers all come from one
table, so adding a kind is one renderer and one line (issue 21, structural item 4)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main as pyramid
from pytest_pyramid.verdict import report_kinds
from pytest_pyramid.verdict.report_kinds import KINDS, SESSION_KINDS, ReportKind

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.verdict.reports import ReportInputs
    from tests.conftest import MakeProject

SUITE = {
    "tests/unit/test_calc.py": """
        def test_one():
            pass

        def test_two():
            assert False
    """,
}


def test_every_kind_is_a_flag_of_pyramid_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert pyramid(["report", "--help"]) == 0
    out = capsys.readouterr().out
    for kind in KINDS:
        assert f"--{kind.name} FILE" in out


def test_the_pytest_option_names_every_session_kind_and_its_file() -> None:
    from pytest_pyramid.markers import REPORT_HELP

    for name, file in SESSION_KINDS.items():
        assert name in REPORT_HELP
        assert file in REPORT_HELP


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_writer_the_table_names_exists(kind: ReportKind) -> None:
    module, _, function = kind.writer.partition(":")
    assert callable(getattr(importlib.import_module(module), function))


def write_tally(target: Path, inputs: ReportInputs) -> None:
    """A report kind the package does not have: the number of tests."""
    target.write_text(f"{len(inputs.records or [])} tests\n")


@pytest.fixture
def tally(monkeypatch: pytest.MonkeyPatch) -> ReportKind:
    """One line added to the table, nothing else edited."""
    kind = ReportKind("tally", "pyramid-report.tally.txt", True, False, "tests, counted",
                      f"{__name__}:write_tally")
    kinds = (*KINDS, kind)
    monkeypatch.setattr(report_kinds, "KINDS", kinds)
    monkeypatch.setattr(report_kinds, "BY_NAME", {k.name: k for k in kinds})
    monkeypatch.setattr(report_kinds, "SESSION_KINDS",
                        {k.name: k.default_file for k in kinds if k.default_file})
    return kind


def test_a_kind_added_to_the_table_is_written_by_both_routes(
    tally: ReportKind, pytester: pytest.Pytester, make_project: MakeProject,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_project(**SUITE)
    result = pytester.runpytest("--pyramid-report=tally")
    result.assert_outcomes(passed=1, failed=1)
    assert (pytester.path / "pyramid-report.tally.txt").read_text() == "2 tests\n"
    monkeypatch.chdir(pytester.path)
    capsys.readouterr()
    assert pyramid(["report", "pyramid-verdict.json", "--tally", "after.txt"]) == 0
    assert (pytester.path / "after.txt").read_text() == "2 tests\n"
    # the table says it needs the per-test records: refused without them, as CTRF is
    (pytester.path / "pyramid-verdict.results.json").unlink()
    capsys.readouterr()
    assert pyramid(["report", "pyramid-verdict.json", "--tally", "again.txt"]) == 3
    assert "cannot write the tally report without per-test results" in capsys.readouterr().err
