"""The flake ledger end to end: real pytest runs (serial and ``-n 2``, ``--reruns 1``) feed
the run history, ``pyramid flaky report`` lists a seeded flaky test with its evidence and a
broken one, ``quarantine --write`` proposes only the flaky one, and only once the entry is
committed does the next run excuse its failure and stay ``ready``."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from pytest_pyramid.verdict.report_ctrf import render_ctrf
from tests.git_repo import git, init_repo
from tests.support.top_level import top_level

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

SEEDED = """
    import os, pathlib

    def test_flaky():
        # the first attempt fails in the runs FLAKY_RUNS names; its rerun passes, unless
        # FLAKY_ALWAYS says every attempt of this run fails
        run = os.environ["PYRAMID_RUN_ID"]
        mark = pathlib.Path(os.environ["MARKS"]) / run
        if os.environ.get("FLAKY_ALWAYS") == "1":
            raise AssertionError("failing every attempt")
        if run in os.environ["FLAKY_RUNS"].split(",") and not mark.exists():
            mark.touch()
            raise AssertionError("first attempt failed")

    def test_broken():
        assert os.environ.get("BROKEN") != "1", "broken since the change"
"""
MANY = """
    import pytest

    @pytest.mark.parametrize("i", range(60))
    def test_many(i):
        assert i >= 0
"""
IGNORE = ("pyramid-verdict*\nledger.db\n/kept/\nrunpytest-*\n__pycache__/\n.coverage*\n/stdout\n"
          "/stderr\n")


@pytest.fixture
def project(pytester: pytest.Pytester, make_project: MakeProject, tmp_path_factory: Any,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(
        'default_tier = "unit"\n[tool.pyramid.tiers.unit]\npaths = ["tests/unit"]\n',
        addopts="--reruns 1", ini='pyramid_history = "ledger.db"\n',
        **{"tests/unit/test_seeded.py": SEEDED, "tests/unit/test_many.py": MANY,
           "CODEOWNERS": "/tests/ @qa-team\n", ".gitignore": IGNORE},
    )
    init_repo(pytester.path, message="project")
    monkeypatch.setenv("MARKS", str(tmp_path_factory.mktemp("marks")))
    monkeypatch.chdir(pytester.path)
    return pytester.path


def run_once(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, number: int,
             workers: list[str], **env: str) -> pytest.RunResult:
    monkeypatch.setenv("PYRAMID_RUN_ID", f"run-{number}")
    top_level(monkeypatch)  # its verdict is `pyramid check`ed: a top-level run's
    for name in ("BROKEN", "FLAKY_ALWAYS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return pytester.runpytest_subprocess(*workers)


def flaky_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = pyramid(["flaky", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def seed(project: Path, numbers: range | tuple[int, ...], source: Path) -> None:
    """Append a real run's verdict and results again, as runs ``numbers``: the ledger's own
    ingestion (``append_run``, what a run with a history ends with), without paying a pytest
    run for records a real run already wrote."""
    from pytest_pyramid.verdict.ledger import append_run
    from pytest_pyramid.verdict.results_file import load_results

    verdict = json.loads(source.read_text())
    records = load_results(verdict, source)
    for number in numbers:
        append_run(project / "ledger.db", {**verdict, "run_id": f"run-{number}"}, records)


def keep(project: Path, name: str) -> Path:
    """A copy of the last run's verdict and results file (the next run replaces both)."""
    kept = project / "kept" / name
    kept.mkdir(parents=True)
    for file in ("pyramid-verdict.json", "pyramid-verdict.results.json"):
        (kept / file).write_bytes((project / file).read_bytes())
    return kept / "pyramid-verdict.json"


# the sample is 20 runs under -n 2 with two failing first attempts; it passed as a
# third row (7 minutes for this file on the loaded machine), kept out of the suite for its
# cost (benchmarks/e2e_flaky_ledger.py runs it). 8 runs prove the same rules: 4 of them real
# pytest runs (a clean run, the flaky test's failing first attempt, two broken runs), the
# other 4 the same results appended again under their run ids (the ledger reads results
# files, not pytest), then the two quarantine runs
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_seeded_flaky_test_is_found_quarantined_once_committed_and_broken_never(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], workers: list[str],
) -> None:
    runs, flaky_runs = 8, "run-3"
    monkeypatch.setenv("FLAKY_RUNS", flaky_runs)
    # the runs whose records only seed the ledger are serial: the route under test (reruns,
    # the verdict's section, the quarantine) runs with the parameter's workers
    run_once(pytester, monkeypatch, 1, [])
    seed(project, (2,), keep(project, "clean"))
    run_once(pytester, monkeypatch, 3, workers)
    seed(project, (4, 5), project / "kept/clean/pyramid-verdict.json")
    run_once(pytester, monkeypatch, 6, [], BROKEN="1")
    seed(project, (7,), keep(project, "broken"))
    run_once(pytester, monkeypatch, 8, workers, BROKEN="1")
    verdict = read_verdict()
    # the verdict carries the ledger's standing; the decision is the run's own (broken fails)
    assert verdict["decision"] == "blocked"
    standing = {t["nodeid"]: t for t in verdict["flaky_ledger"]["tests"]}
    flaky = standing["tests/unit/test_seeded.py::test_flaky"]
    failures = len(flaky_runs.split(","))
    assert (flaky["status"], flaky["runs"], flaky["first_failures"]) == ("flaky", runs, failures)
    assert flaky["evidence"] == flaky_runs.split(",")
    assert flaky["ci95"][0] < failures / runs < flaky["ci95"][1]
    assert standing["tests/unit/test_seeded.py::test_broken"]["status"] == "broken"
    assert not any(n.startswith("tests/unit/test_many.py") for n in standing)

    # the ledger: one row per attempt, fed from the results file
    with closing(sqlite3.connect(project / "ledger.db")) as db:
        attempts = db.execute("SELECT outcome, duration_s > 0 FROM pyramid_attempts WHERE "
                              "run_id = 'run-3' AND nodeid LIKE '%test_flaky' ORDER BY "
                              "attempt").fetchall()
    assert attempts == [("fail", 1), ("pass", 1)]  # each attempt with its own time

    code, out = flaky_cli(capsys, "report", "--json")
    assert code == 0
    report = json.loads(out)
    assert [t["nodeid"] for t in report["flaky"]] == ["tests/unit/test_seeded.py::test_flaky"]
    assert [t["nodeid"] for t in report["broken"]] == ["tests/unit/test_seeded.py::test_broken"]
    code, out = flaky_cli(capsys, "report")
    assert "flaky: 1" in out
    assert f"evidence: runs {flaky_runs.replace(',', ', ')}" in out

    code, out = flaky_cli(capsys, "quarantine")  # a diff, nothing written
    assert code == 0
    assert "+test = \"tests/unit/test_seeded.py::test_flaky\"" in out
    assert "nothing written" in out
    assert "[[tool.pyramid.quarantine]]" not in (project / "pyproject.toml").read_text()
    code, out = flaky_cli(capsys, "quarantine", "--write")
    assert code == 0
    assert "not proposed: tests/unit/test_seeded.py::test_broken: broken" in out
    text = (project / "pyproject.toml").read_text()
    assert text.count("[[tool.pyramid.quarantine]]") == 1
    assert 'owner = "@qa-team"' in text
    assert "test_broken" not in text

    # the broken test is fixed; the flaky one fails every attempt of the next runs.
    # Written but not committed: the entry is in the tree, and it excuses the failure ...
    result = run_once(pytester, monkeypatch, runs + 1, [], FLAKY_ALWAYS="1")
    excused = read_verdict()
    gate = next(g for g in excused["gates"] if g["id"] == "tests.quarantine")
    assert "quarantined: 1 (<= 2% of unit)" in gate["message"]
    assert excused["dirty"] is True  # ... in a dirty tree, which `pyramid check` refuses
    git(project, "add", "-A")
    git(project, "commit", "-qm", "quarantine the flaky test")
    result = run_once(pytester, monkeypatch, runs + 2, workers, FLAKY_ALWAYS="1")
    assert result.ret == 0
    verdict = read_verdict()
    assert verdict["decision"] == "ready"
    gate = next(g for g in verdict["gates"] if g["id"] == "tests.quarantine")
    assert gate["status"] == "pass"
    assert "quarantined: 1 (<= 2% of unit)" in gate["message"]
    assert gate["details"]["excused"] == [{
        "nodeid": "tests/unit/test_seeded.py::test_flaky",
        "entry": {k: v for k, v in gate["details"]["active"][0].items()}}]
    assert pyramid(["check", "pyramid-verdict.json"]) == 0


def test_an_untracked_configuration_s_quarantine_excuses_nothing(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_project(
        'default_tier = "unit"\n[[tool.pyramid.quarantine]]\ntest = "tests/unit/test_f.py"\n'
        'owner = "me"\nexpires = 2999-01-01\nreason = "r"\n',
        **{"tests/unit/test_f.py": "def test_f():\n    assert False\n",
           ".gitignore": IGNORE + "pyproject.toml\n"},
    )
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "tests only")
    monkeypatch.delenv("PYRAMID_RUN_ID", raising=False)
    result = pytester.runpytest_subprocess()
    assert result.ret != 0
    verdict = read_verdict()
    assert verdict["decision"] != "ready"
    gate = next(g for g in verdict["gates"] if g["id"] == "tests.quarantine")
    assert gate["status"] == "fail"
    assert "not tracked by git" in gate["message"]
    pass_rate = next(g for g in verdict["gates"] if g["id"] == "tests.pass_rate")
    assert pass_rate["status"] == "fail"


def test_reports_carry_the_ledger_rate(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FLAKY_RUNS", "run-2")
    for number in (1, 2):  # the verdict of run 2 carries the ledger's standing over both runs
        run_once(pytester, monkeypatch, number, [])
    verdict = read_verdict()
    records = json.loads((project / "pyramid-verdict.results.json").read_text())["tests"]
    ctrf = render_ctrf(verdict, records)
    test = next(t for t in ctrf["results"]["tests"] if t["name"].endswith("test_flaky"))
    assert test["flaky"] is True
    assert test["extra"]["pyramidLedger"]["evidence"] == ["run-2"]
    assert test["extra"]["pyramidLedger"]["first_failures"] == 1
    # `pyramid report` after the run: the HTML shows the same standing
    capsys.readouterr()
    assert pyramid(["report", "pyramid-verdict.json", "--html", "r.html"]) == 0
    page = (project / "r.html").read_text()
    assert "Flake ledger" in page
    assert "1/2 first attempts failed (50.0%, 95% CI 9.4%-90.5%)" in page
