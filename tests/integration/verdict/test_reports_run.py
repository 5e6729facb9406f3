"""Reports end to end: real pytest runs (serial and ``-n 2``) that write a verdict and its
results file, reports at session end and from ``pyramid report`` afterwards, the run
history, and pytest's own ``--junitxml`` checked against the same JUnit XSD."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import pytest

from pytest_pyramid.cli import main as pyramid
from tests.git_repo import git
from tests.support.reports.report_helpers import ctrf_errors, junit_errors
from tests.support.top_level import top_level

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

SUITE = {
    "tests/unit/test_calc.py": """
        import pytest

        @pytest.mark.parametrize("value", [1, "a::b", "<script>x</script>", "x[y]"])
        def test_param(value):
            assert value != "x[y]", "bracket case fails"

        class TestGroup:
            def test_method(self, pyramid_metric):
                pyramid_metric("calc.ms", 3.5)

            def test_skipped(self):
                pytest.skip("not here")

        @pytest.mark.xfail(reason="known")
        def test_known():
            assert False
    """,
    "tests/e2e/test_flow.py": """
        def test_flow():
            pass

        def test_broken_fixture(missing_fixture):
            pass
    """,
}
#: tests in SUITE and how they end
OUTCOMES = {"passed": 5, "failed": 1, "error": 1, "skipped": 1, "xfailed": 1}


def case_ids(path: Path) -> list[tuple[str | None, str | None]]:
    return sorted((c.get("classname"), c.get("name")) for c in ET.parse(path).iter("testcase"))


def verdict_count(verdict: dict[str, Any]) -> int:
    keys = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")
    return sum(tier[key] for tier in verdict["tiers"].values() for key in keys)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_session_end_reports_are_valid_and_junit_ids_equal_pytests(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    workers: list[str],
) -> None:
    make_project(**SUITE)
    result = pytester.runpytest_subprocess(
        *workers, "--pyramid-report=html,ctrf,junit", "--junitxml=pytest-junit.xml"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    verdict = read_verdict()
    # the results file the verdict references, by path and digest
    reference = verdict["results"]
    results = pytester.path / reference["path"]
    assert reference["path"] == "pyramid-verdict.results.json"
    assert hashlib.sha256(results.read_bytes()).hexdigest() == reference["sha256"]
    records = json.loads(results.read_text())["tests"]
    assert reference["tests"] == len(records) == verdict_count(verdict) == sum(OUTCOMES.values())
    assert {o: sum(r["outcome"] == o for r in records) for o in OUTCOMES} == OUTCOMES
    result.stdout.fnmatch_lines(["*html report written to *pyramid-report.html",
                                 "*ctrf report written to *pyramid-report.ctrf.json",
                                 "*junit report written to *pyramid-report.junit.xml"])
    # CTRF: schema-valid, one test per parametrized case, tier as type
    ctrf = json.loads((pytester.path / "pyramid-report.ctrf.json").read_text())
    assert ctrf_errors(ctrf) == []
    assert ctrf["results"]["summary"]["tests"] == verdict_count(verdict)
    names = [t["name"] for t in ctrf["results"]["tests"]]
    assert sum("test_param[" in n for n in names) == 4
    assert len(set(names)) == len(names)
    assert {t["type"] for t in ctrf["results"]["tests"]} == {"unit", "e2e"}
    assert ctrf["extra"]["pyramid"]["decision"] == verdict["decision"] == "blocked"
    # JUnit: XSD-valid, one testsuite per tier, the same testcase ids as pytest's own file
    ours = pytester.path / "pyramid-report.junit.xml"
    assert junit_errors(ours) == []
    suites = ET.parse(ours).getroot().findall("testsuite")
    # every tier of the verdict, in pyramid order, the empty ones with their status
    assert {s.get("name"): s.get("tests") for s in suites} == {
        "unit": "7", "integration": "0", "contract": "0", "e2e": "2", "performance": "0",
        "security": "0"}
    assert [s.get("name") for s in suites][:2] == ["unit", "integration"]
    theirs = pytester.path / "pytest-junit.xml"
    assert case_ids(ours) == case_ids(theirs)
    # pytest's own file of a pyramid run (metrics recorded, tiers assigned) is valid too
    assert junit_errors(theirs) == []
    assert not list(ET.parse(theirs).getroot().iter("properties"))
    page = (pytester.path / "pyramid-report.html").read_text()
    assert 'data-decision="blocked"' in page
    assert "<script" not in page
    # the terminal summary draws the pyramid
    result.stdout.fnmatch_lines(["pyramid: tests per tier", "*e2e*", "*unit*█*"])


def test_xunit1_keeps_the_tier_and_metrics_in_pytests_junitxml(
    pytester: pytest.Pytester, make_project: MakeProject
) -> None:
    make_project(**SUITE)
    pytester.runpytest("--junitxml=pytest-junit.xml", "-o", "junit_family=xunit1")
    root = ET.parse(pytester.path / "pytest-junit.xml").getroot()
    method = next(c for c in root.iter("testcase") if c.get("name") == "test_method")
    properties = {p.get("name"): p.get("value") for p in method.iter("property")}
    assert properties == {"pyramid.tier": "unit", "pyramid.metric.calc.ms": "3.5"}


def test_metrics_are_judged_although_pytests_junitxml_leaves_them_out(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict
) -> None:
    make_project("[tool.pyramid.thresholds]\n'calc.ms' = '< 1'\n", **SUITE)
    pytester.runpytest("--junitxml=pytest-junit.xml")
    gate = next(g for g in read_verdict()["gates"] if g["id"] == "metric.calc.ms")
    assert (gate["status"], gate["actual"]) == ("fail", 3.5)
    assert junit_errors(pytester.path / "pytest-junit.xml") == []


def test_ini_twins_write_reports_and_history_relative_to_the_rootdir(
    pytester: pytest.Pytester, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(
        ini='pyramid_report = "html=out/r.html,ctrf"\npyramid_history = "hist/runs.sqlite"\n',
        **{"tests/unit/test_a.py": "def test_a(): pass\n"},
    )
    assert pytester.runpytest().ret == 0
    # started in a subdirectory: the ini's paths are still the rootdir's
    monkeypatch.chdir(pytester.path / "tests")
    pytester.runpytest()
    assert not (pytester.path / "tests" / "out").exists()
    assert (pytester.path / "out" / "r.html").is_file()
    assert (pytester.path / "pyramid-report.ctrf.json").is_file()  # beside the verdict
    with sqlite3.connect(pytester.path / "hist" / "runs.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM pyramid_runs").fetchone() == (2,)
    page = (pytester.path / "out" / "r.html").read_text()
    assert "last 2 runs" in page


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--pyramid-report=pdf"], "",
         "--pyramid-report = 'pdf': unknown report 'pdf'; choose from html, ctrf, junit"),
        ([], 'pyramid_report = "html,svg"', "pyproject.toml: pyramid_report = 'html,svg': "
                                             "unknown report 'svg'"),
        (["--pyramid-history=hist"], "", "--pyramid-history = 'hist' is a directory"),
    ],
)
def test_bad_report_options_stop_the_run_before_any_test(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    args: list[str],
    ini: str,
    message: str,
) -> None:
    make_project(ini=ini, **{"tests/unit/test_a.py": "def test_a(): pass\n"})
    (pytester.path / "hist").mkdir()
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "1 passed" not in result.stdout.str()


def test_pyramid_report_after_the_run_gives_the_same_documents(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_project(**SUITE)
    # a history on both routes: the reports carry the flake ledger's standing the verdict holds
    pytester.runpytest("--pyramid-report=ctrf,junit", "--junit-prefix=ci",
                       "--pyramid-history=session.sqlite")
    verdict_path = pytester.path / "pyramid-verdict.json"
    out = pytester.path / "after"
    summary = out / "summary.md"
    summary.parent.mkdir()
    summary.write_text("earlier step\n")
    code = pyramid(["report", str(verdict_path), "--html", str(out / "r.html"),
                    "--ctrf", str(out / "r.ctrf.json"), "--junit", str(out / "r.xml"),
                    "--summary", str(summary), "--history", str(out / "h.sqlite"),
                    "--junit-prefix", "ci"])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"html: {out / 'r.html'}" in printed
    assert "(1 run(s) in the trend)" in printed
    assert (out / "r.xml").read_bytes() == (pytester.path / "pyramid-report.junit.xml").read_bytes()
    ours = json.loads((out / "r.ctrf.json").read_text())
    session = json.loads((pytester.path / "pyramid-report.ctrf.json").read_text())
    assert ours.pop("reportId") != session.pop("reportId")  # one per document
    assert ours == session
    text = summary.read_text()
    assert text.startswith("earlier step\n### ❌ pytest-pyramid: blocked")
    assert "#### Failures (2)" in text
    assert "test_param[x[y]]" in text
    assert "test_broken_fixture" in text


def _corrupt(path: Path) -> None:
    path.write_text(path.read_text().replace('"passed"', '"failed"', 1))


@pytest.mark.parametrize(
    ("damage", "args", "code", "message"),
    [
        (None, [], 3, "name at least one output"),
        ("delete", ["--ctrf", "c.json"], 3,
         "cannot write the ctrf report without per-test results: "),
        ("corrupt", ["--junit", "j.xml"], 3, "is not the"),
        ("delete", ["--html", "r.html"], 0, "note: "),
        (None, ["--html", "."], 3, "--html .: is a directory"),
        ("verdict", ["--html", "r.html"], 3, "not valid JSON"),
    ],
)
def test_pyramid_report_refuses_what_it_cannot_vouch_for(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    damage: str | None,
    args: list[str],
    code: int,
    message: str,
) -> None:
    make_project(**SUITE)
    pytester.runpytest()
    results = pytester.path / "pyramid-verdict.results.json"
    if damage == "delete":
        results.unlink()
    elif damage == "corrupt":
        _corrupt(results)
    elif damage == "verdict":
        (pytester.path / "pyramid-verdict.json").write_text("{")
    monkeypatch.chdir(pytester.path)
    capsys.readouterr()
    assert pyramid(["report", "pyramid-verdict.json", *args]) == code
    err = capsys.readouterr().err
    assert message in err
    if code == 3:
        assert err.count("\n") == 1
        assert err.startswith("pyramid report: ")
    if damage == "delete" and code == 0:
        assert "Per-test results are not shown" in (pytester.path / "r.html").read_text()


def test_history_runs_lists_each_run_once(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_project(ini='pyramid_history = "runs.sqlite"\n',
                 **{"tests/unit/test_a.py": "def test_a(): pass\n"})
    monkeypatch.setenv("PYRAMID_RUN_ID", "ci-1")
    monkeypatch.setenv("PYRAMID_RUN_NUMBER", "1")
    pytester.runpytest()
    monkeypatch.setenv("PYRAMID_RUN_ID", "ci-3")
    monkeypatch.setenv("PYRAMID_RUN_NUMBER", "3")
    pytester.runpytest()
    monkeypatch.chdir(pytester.path)
    # the report step of the same run appends the same verdict again: still one row for it
    assert pyramid(["report", "pyramid-verdict.json", "--history", "runs.sqlite"]) == 0
    capsys.readouterr()
    assert pyramid(["history", "--runs"]) == 0  # pyramid_history in pyproject.toml
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].split()[:3] == ["#", "run", "created"]
    assert lines[2].split()[1] == "3"
    assert "(1 run(s) missing before)" in lines[2]
    assert pyramid(["history", "--runs", "runs.sqlite", "--json", "--limit", "1"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["run_id"], r["run_number"], r["decision"]) for r in rows] == [("ci-3", 3, "ready")]
    assert rows[0]["tiers"]["unit"]["tests"] == 1
    assert pyramid(["history", "--runs", "nothing.sqlite"]) == 3
    assert "no run history there" in capsys.readouterr().err


def test_history_without_runs_keeps_its_deploy_meaning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.pyramid.deploy]\ncommand = 'true'\n")
    db = tmp_path / "deploy.sqlite"
    code = pyramid(["history", "--history", str(db), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out) == []  # the deployments, not the runs
    assert pyramid(["history", "--runs"]) == 3
    assert "no run history named" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["history"], ["history", "--json"], ["history", "--id", "1"], ["status"], ["status", "--json"],
     ["history", "--runs"], ["history", "--runs", "runs.sqlite"]],
)
def test_read_only_commands_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.pyramid.deploy]\ncommand = 'true'\n")
    before = sorted(tmp_path.rglob("*"))
    pyramid(argv)
    capsys.readouterr()
    assert sorted(tmp_path.rglob("*")) == before


def test_history_outside_a_project_with_history_says_where_it_looks_and_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert pyramid(["history"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"no deployment history at {tmp_path / '.pyramid' / 'deploy' / 'history.sqlite'} "
        "([tool.pyramid.deploy] history, else <work_dir>/history.sqlite): `pyramid deploy` "
        "records every attempt there; `pyramid history --runs` lists the test runs")
    assert pyramid(["history", "--runs"]) == 3
    err = capsys.readouterr().err
    assert "pyramid_history in pytest's configuration of the project found from" in err
    assert f"found from {tmp_path};" in err
    assert 'enable it with pyramid_history = "FILE" there' in err
    assert not (tmp_path / ".pyramid").exists()


def test_report_files_are_left_out_of_the_tested_tree(
    pytester: pytest.Pytester,
    make_project: MakeProject,
    monkeypatch: pytest.MonkeyPatch,
    read_verdict: ReadVerdict,
) -> None:
    make_project(**{"tests/unit/test_a.py": "def test_a(): pass\n"})
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path.parent))
    top_level(monkeypatch)  # a verdict `pyramid check` accepts: a top-level run's
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "one")
    args = ("--pyramid-report=html,ctrf,junit", "--pyramid-history=runs.sqlite")
    assert pytester.runpytest(*args).ret == 0
    assert pytester.runpytest(*args).ret == 0  # the files of the first run exist at start
    excluded = read_verdict()["tree"]["excluded"]
    for name in ("pyramid-verdict.results.json", "pyramid-report.html", "runs.sqlite"):
        assert name in excluded
    monkeypatch.chdir(pytester.path)
    assert pyramid(["check", "pyramid-verdict.json"]) == 0


def test_the_session_reports_plugin_has_no_per_test_hook() -> None:
    from pytest_pyramid.verdict.session_reports import SessionReports

    hooks = sorted(name for name in dir(SessionReports) if name.startswith("pytest_"))
    assert hooks == ["pytest_pyramid_verdict_written", "pytest_terminal_summary"]
