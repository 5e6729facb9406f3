"""The report renderers as pure functions: tables of verdicts and records in, documents out,
checked against the real CTRF schema and JUnit XSD, and against pytest's own naming."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import pytest

from pytest_pyramid.errors import VerdictError
from pytest_pyramid.verdict import report_data
from pytest_pyramid.verdict.render_github import MAX_BYTES, step_summary
from pytest_pyramid.verdict.render_text import pyramid_lines
from pytest_pyramid.verdict.report_ctrf import render_ctrf
from pytest_pyramid.verdict.report_html import render_html
from pytest_pyramid.verdict.report_junit import bin_xml_escape, junit_names, render_junit
from pytest_pyramid.verdict.reports import parse_kinds, read_records
from pytest_pyramid.verdict.results_file import (
    encode,
    load_results,
    parse_results,
    results_path_for,
    write_results,
)
from pytest_pyramid.verdict.run_identity import run_identity
from tests.support.reports.report_helpers import ctrf_errors, junit_errors, record
from tests.verdict_factory import make_verdict, tier

if TYPE_CHECKING:
    from pytest_pyramid.verdict.records import ResultRecord

#: the installed pytest's (major, minor): its junitxml is the reference, and fixed two names late
PYTEST = tuple(int(part) for part in pytest.__version__.split(".")[:2])

NODEIDS = [
    "tests/unit/test_a.py::test_plain",
    "tests/unit/test_a.py::TestClass::test_method",
    "tests/unit/test_a.py::TestOuter::TestInner::test_deep",
    "tests/unit/test_a.py::test_param[1-2]",
    "tests/unit/test_a.py::test_param[a::b]",
    "tests/unit/test_a.py::test_param[x[y]]",
    "tests/unit/test_a.py::test_param[<script>alert(1)</script>]",
    "tests/unit/test_a.py::test_param[\x07bell\x1b]",
    "tests/unit/test_a.py::test_param[ünï©ødé]",
    "tests/unit/sub dir/test_b.py::test_space",
    "tests/unit/dir[1]/test_c.py::test_bracket_path",
    "tests/unit/test_doc.txt::test_doc.txt",
    "test_top.py::test_at_root",
]


# -- JUnit names: the same as pytest's own junitxml -----------------------------------------


@pytest.mark.parametrize("nodeid", NODEIDS)
@pytest.mark.parametrize("prefix", [None, "ci"])
def test_junit_names_equal_pytests_own(nodeid: str, prefix: str | None) -> None:
    from _pytest.junitxml import bin_xml_escape as pytest_escape
    from _pytest.junitxml import mangle_test_address

    if "dir[1]/" in nodeid and PYTEST < (9, 2):
        # older junitxml split the path at its "[" (classname "", the rest in name); pytest
        # 9.2 fixed it and the report follows the fixed rule (test_junit_names_of_a_bracket_path)
        pytest.skip("pytest < 9.2 mangles a directory with '[' in its name")
    names = mangle_test_address(nodeid)
    classnames = names[:-1]
    if prefix:
        classnames.insert(0, prefix)
    expected = (pytest_escape(".".join(classnames)), pytest_escape(names[-1]))
    assert junit_names(nodeid, prefix) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("bell\x07", "bell#x07"),
        ("del\x7f", "del#x7F"),
        ("\ufffe", "#xFFFE"),
        ("ünï", "ünï"),
    ],
)
def test_bin_xml_escape(text: str, expected: str) -> None:
    from _pytest.junitxml import bin_xml_escape as pytest_escape

    assert bin_xml_escape(text) == expected
    if "\x7f" not in text or PYTEST >= (9, 1):  # pytest < 9.1 kept DEL unescaped
        assert pytest_escape(text) == expected


@pytest.mark.parametrize(("prefix", "classname"), [(None, ""), ("ci", "ci.")])
def test_junit_names_of_a_bracket_path(prefix: str | None, classname: str) -> None:
    """pytest 9.2's rule, whichever pytest is installed: the path is the classname."""
    assert junit_names("tests/unit/dir[1]/test_c.py::test_bracket_path", prefix) == (
        f"{classname}tests.unit.dir[1].test_c", "test_bracket_path"
    )


# -- records for the documents ---------------------------------------------------------------


def sample_records() -> list[ResultRecord]:
    return [
        record("tests/unit/test_a.py::test_ok[1]"),
        record("tests/unit/test_a.py::test_ok[2]"),
        record("tests/unit/test_a.py::TestK::test_fails", outcome="failed",
               message="def test():\n>   assert 1 == 2\nE   assert 1 == 2\n"),
        record("tests/unit/test_a.py::test_err", outcome="error", message="E   fixture boom"),
        record("tests/unit/test_a.py::test_skip", outcome="skipped", message="not today"),
        record("tests/unit/test_a.py::test_xf", outcome="xfailed", message="xfail: known"),
        record("tests/unit/test_a.py::test_xp", outcome="xpassed"),
        record("tests/unit/test_a.py::test_flaky", reruns=2),
        record("tests/unit/test_a.py::test_rerun_failed", outcome="failed", reruns=1,
               message="E   still broken"),
        record("tests/e2e/test_page.py::test_hang", tier="e2e", outcome="unfinished"),
        record("tests/e2e/test_page.py::test_<b>bold</b>[\x07]", tier="e2e"),
    ]


def sample_verdict(entries: list[ResultRecord]) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        bucket = counts.setdefault(entry["tier"], {})
        bucket[entry["outcome"]] = bucket.get(entry["outcome"], 0) + 1
    tiers = {
        name: tier(
            passed=c.get("passed", 0),
            collected=sum(c.values()),
            failed=c.get("failed", 0),
            errors=c.get("error", 0),
            skipped=c.get("skipped", 0),
            xfailed=c.get("xfailed", 0),
            xpassed=c.get("xpassed", 0),
            status="failed" if c.get("failed") or c.get("error") else "passed",
            coverage={"percent": 71.5, "fail_under": 80.0},
        )
        for name, c in counts.items()
    }
    gates = [
        {"id": "tests.pass_rate", "level": "block", "status": "fail", "actual": 60.0,
         "threshold": 100, "message": "4 of 10 executed tests failed"},
        {"id": "static.audit", "level": "block", "status": "not_evaluated", "actual": None,
         "threshold": 0, "message": "pip-audit is not installed", "on_missing": "skip"},
        {"id": "pyramid.shape", "level": "warn", "status": "pass", "actual": 0.1,
         "threshold": "unit 70%, e2e 20% (±15%)", "message": "within",
         "details": {"tiers": {"unit": {"tests": 9, "share": 0.82, "target": 0.7},
                               "e2e": {"tests": 2, "share": 0.18, "target": 0.2}},
                     "total": 11, "tolerance": 0.15}},
    ]
    return make_verdict(
        "blocked", tiers=tiers, gates=gates, run_id="github:o/r:77:test", run_number=77,
        run={"selected_tiers": list(tiers), "workers": 2, "duration_s": 3.5, "pytest_exit": 1,
             "interrupted": False, "pytest": "9.2.0", "collected": len(entries)},
    )


def test_ctrf_is_schema_valid_one_test_per_case_with_tier_as_type() -> None:
    entries = sample_records()
    verdict = sample_verdict(entries)
    document = render_ctrf(verdict, entries)
    assert ctrf_errors(document) == []
    tests = document["results"]["tests"]
    assert document["results"]["summary"]["tests"] == len(tests) == len(entries)
    assert [t["name"] for t in tests] == [e["nodeid"] for e in entries]  # cases kept apart
    assert {t["type"] for t in tests} == {"unit", "e2e"}
    by_name = {t["name"]: t for t in tests}
    flaky = by_name["tests/unit/test_a.py::test_flaky"]
    assert (flaky["status"], flaky["retries"], flaky["flaky"]) == ("passed", 2, True)
    assert [a["attempt"] for a in flaky["retryAttempts"]] == [1, 2]
    broken = by_name["tests/unit/test_a.py::test_rerun_failed"]
    assert (broken["status"], broken["flaky"], broken["message"]) == (
        "failed", False, "still broken")
    assert by_name["tests/unit/test_a.py::TestK::test_fails"]["message"] == "assert 1 == 2"
    assert by_name["tests/unit/test_a.py::test_err"]["rawStatus"] == "error"
    assert by_name["tests/unit/test_a.py::test_xf"]["status"] == "skipped"
    assert by_name["tests/e2e/test_page.py::test_hang"]["status"] == "other"
    assert by_name["tests/unit/test_a.py::TestK::test_fails"]["suite"] == [
        "unit", "tests/unit/test_a.py", "TestK"]
    summary = document["results"]["summary"]
    assert (summary["passed"], summary["failed"], summary["skipped"], summary["other"],
            summary["flaky"]) == (5, 3, 2, 1, 1)
    pyramid = document["extra"]["pyramid"]
    assert pyramid["decision"] == "blocked"
    assert [g["id"] for g in pyramid["gates"]] == [g["id"] for g in verdict["gates"]]
    assert document["runId"] == "github:o/r:77:test"
    assert document["results"]["environment"]["buildNumber"] == 77


@pytest.mark.parametrize(
    ("outcome", "earlier", "retries", "flaky"),
    [
        # a retried shard that passed both times: an attempt, not a flake
        ("passed", [{"outcome": "passed", "duration_s": 0.25, "where": "shard retry",
                     "shard_try": 1}], [("passed", 250)], False),
        ("passed", [{"outcome": "error", "duration_s": 1.0, "where": "rerun"}],
         [("failed", 1000)], True),
        # pass then fail: the last attempt failed, so not flaky as CTRF means it
        ("failed", [{"outcome": "passed", "duration_s": 0.5, "where": "shard retry",
                     "shard_try": 1}], [("passed", 500)], False),
    ],
)
def test_ctrf_lists_each_earlier_attempt_with_its_status_and_time(
    outcome: str, earlier: list[Any], retries: list[tuple[str, int]], flaky: bool,
) -> None:
    entry: Any = {"nodeid": "tests/unit/t.py::t", "tier": "unit", "outcome": outcome,
                  "setup_s": 0.0, "call_s": 0.1, "teardown_s": 0.0,
                  "reruns": sum(a["outcome"] != "passed" for a in earlier),
                  "earlier_attempts": earlier}
    document = render_ctrf(sample_verdict([entry]), [entry])
    assert ctrf_errors(document) == []
    (test,) = document["results"]["tests"]
    assert [(a["status"], a["duration"]) for a in test["retryAttempts"]] == retries
    assert (test["retries"], test["flaky"]) == (len(retries), flaky)


def test_junit_is_xsd_valid_one_suite_per_tier_with_properties(tmp_path: Path) -> None:
    entries = sample_records()
    verdict = sample_verdict(entries)
    path = tmp_path / "junit.xml"
    path.write_bytes(render_junit(verdict, entries))
    assert junit_errors(path) == []
    root = ET.parse(path).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["unit", "e2e"]
    unit = suites[0]
    properties = {p.get("name"): p.get("value") for p in unit.iter("property")}
    assert properties["pyramid.tier"] == "unit"
    assert properties["pyramid.budget_s"] == "30"
    assert properties["pyramid.coverage"] == "71.5"
    assert properties["pyramid.coverage_threshold"] == "80"
    assert properties["pyramid.status"] == "failed"
    assert (unit.get("tests"), unit.get("failures"), unit.get("errors"), unit.get("skipped")) == (
        "9", "2", "1", "2")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["test_fails"].find("failure").get("message") == "assert 1 == 2"  # type: ignore[union-attr]
    assert len(cases["test_flaky"].findall("flakyFailure")) == 2
    assert len(cases["test_rerun_failed"].findall("rerunFailure")) == 1
    assert cases["test_xf"].find("skipped").get("type") == "pytest.xfail"  # type: ignore[union-attr]
    assert cases["test_hang"].find("error") is not None
    assert "test_<b>bold</b>[#x07]" in cases  # markup stays text, illegal XML made visible
    assert root.get("tests") == str(len(entries))


def test_html_escapes_everything_and_loads_nothing_from_elsewhere() -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    entries = [
        record(f"tests/unit/test_x.py::test_a[{hostile}]", outcome="failed",
               message=f"E   {hostile}\n\"quoted\" & 'single'"),
        record("tests/unit/test_x.py::test_ok"),
    ]
    verdict = sample_verdict(entries)
    verdict["reasons"].append(hostile)
    verdict["gates"][0]["message"] = hostile
    page = render_html(verdict, entries)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # no external asset
    assert "<link" not in page


def test_html_shows_decision_gates_pyramid_and_failures() -> None:
    entries = sample_records()
    verdict = sample_verdict(entries)
    page = render_html(verdict, entries)
    assert 'data-decision="blocked"' in page
    assert page.count('<g class="tier ') == 2
    assert 'class="gate gate-fail" data-gate="tests.pass_rate"' in page
    assert 'class="gate gate-not_evaluated" data-gate="static.audit"' in page
    assert page.count('class="target"') == 2  # the shape targets as outlines
    assert page.count('<details class="failure"') == 4  # failed, error, rerun failed, unfinished
    assert 'id="flaky"' in page
    assert "tests/unit/test_a.py::test_flaky" in page


def test_html_without_per_test_results_says_so() -> None:
    verdict = sample_verdict(sample_records())
    page = render_html(verdict, None, results_problem="x.results.json: missing")
    assert 'id="results-problem"' in page
    assert "x.results.json: missing" in page
    assert 'id="failures"' not in page


def test_html_stays_small_whatever_the_suite() -> None:
    message = "E   AssertionError\n" + "frame line with some text\n" * 400
    entries = [
        record(f"tests/unit/test_m{i // 50}.py::test_{i}",
               outcome="failed" if i % 10 == 0 else "passed",
               message=message if i % 10 == 0 else None)
        for i in range(20_000)
    ]
    for entry in entries:
        if entry.get("message") is None:
            entry.pop("message")
    verdict = sample_verdict(entries)
    page = render_html(verdict, entries)
    assert len(page.encode()) <= 2 * 1024 * 1024
    assert page.count('<details class="failure"') < 2000  # text up to a budget, then names
    assert "more failure(s), text left out" in page
    assert "more module(s)" in page  # 400 modules, 300 rows


def test_step_summary_lists_the_first_failures_and_stays_under_its_cap() -> None:
    entries = [
        record(f"tests/unit/test_m.py::test_{i:03}", outcome="failed",
               message=f"E   failure number {i}\n" + "x" * 5000)
        for i in range(300)
    ]
    verdict = sample_verdict(entries)
    verdict["gates"].extend(
        {"id": f"metric.m{i}", "level": "block", "status": "fail", "actual": i,
         "threshold": "< 0", "message": "y" * 400}
        for i in range(400)
    )
    text = step_summary(verdict, entries)
    assert len(text.encode()) <= MAX_BYTES
    assert "#### Failures (300)" in text
    assert "test_000" in text
    assert re.search(r"\d+ more failure\(s\) in the report\.", text)
    small = step_summary(verdict, entries[:3], limit=10**7)
    assert small.count("<details>") == 3
    assert "more failure" not in small


@pytest.mark.parametrize(
    ("tiers", "targets", "expected"),
    [
        ({"unit": 40, "e2e": 10}, {},
         ["pyramid: tests per tier",
          " e2e" + " " * 17 + "█" * 10 + " " * 17 + "    10  passed",
          "unit  " + "█" * 40 + "      40  passed"]),
        ({"unit": 40, "e2e": 0}, {"e2e": 0.25},
         ["pyramid: tests per tier; ┆ = shape target",
          " e2e" + " " * 16 + "┆" + " " * 10 + "┆" + " " * 16 + "     0  passed  (target 10)",
          "unit  " + "█" * 40 + "      40  passed"]),
        # a target narrower than its bar: no mark inside the bar, the figure says it
        ({"unit": 40, "e2e": 10}, {"unit": 0.5, "e2e": 0.5},
         ["pyramid: tests per tier; ┆ = shape target",
          " e2e" + " " * 8 + "┆" + " " * 8 + "█" * 10 + " " * 7 + "┆" + " " * 9
          + "    10  passed  (target 25)",
          "unit  " + "█" * 40 + "      40  passed  (target 25)"]),
        ({}, {}, []),
    ],
)
def test_terminal_pyramid(
    tiers: dict[str, int], targets: dict[str, float], expected: list[str]
) -> None:
    verdict = make_verdict("ready", tiers={n: tier(passed=c, collected=c, status="passed")
                                           for n, c in tiers.items()})
    assert pyramid_lines(verdict, targets) == expected


# -- the data behind the reports -------------------------------------------------------------


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        (None, {}),
        ({"id": "pyramid.shape", "level": "warn", "status": "pass", "actual": 0, "message": "",
          "threshold": "unit 50%, integration 20% (±15%)",
          "details": {"tiers": {"unit": {"target": 0.5}, "e2e": {"tests": 3}}}},
         {"unit": 0.5}),
        ({"id": "pyramid.shape", "level": "warn", "status": "not_evaluated", "actual": None,
          "threshold": "unit 50%, integration 20%, e2e 5% (±15%)", "message": "too few"},
         {"unit": 0.5, "integration": 0.2, "e2e": 0.05}),
    ],
)
def test_shape_targets(gate: dict[str, Any] | None, expected: dict[str, float]) -> None:
    verdict = make_verdict("ready", gates=[gate] if gate else [])
    assert report_data.shape_targets(verdict) == pytest.approx(expected)


def test_failures_slowest_and_modules() -> None:
    entries = [
        record("tests/e2e/test_b.py::test_1", tier="e2e", outcome="failed", call_s=2.0),
        record("tests/unit/test_a.py::test_2", outcome="error", call_s=0.5),
        record("tests/unit/test_a.py::test_1", outcome="unfinished"),
        record("tests/unit/test_c.py::test_3", call_s=1.0),
    ]
    order = ["unit", "e2e"]
    assert [e["nodeid"] for e in report_data.failures(entries, order)] == [
        "tests/unit/test_a.py::test_1", "tests/unit/test_a.py::test_2",
        "tests/e2e/test_b.py::test_1"]
    slow = report_data.slowest_per_tier(entries, 1)
    assert [n for n, _ in slow["unit"]] == ["tests/unit/test_c.py::test_3"]
    rows, left, left_tests = report_data.module_summary(entries, order, limit=2)
    assert [(r.tier, r.module, r.failing) for r in rows] == [
        ("unit", "tests/unit/test_a.py", 2), ("e2e", "tests/e2e/test_b.py", 1)]
    assert (left, left_tests) == (1, 1)


# -- the results file ----------------------------------------------------------------------------


def test_results_file_round_trip_and_reference(tmp_path: Path) -> None:
    verdict_path = tmp_path / "out" / "v.json"
    entries = sample_records()
    ref = write_results(results_path_for(verdict_path), entries, relative_to=verdict_path.parent)
    assert ref["path"] == "v.results.json"
    assert ref["tests"] == len(entries)
    verdict = {**sample_verdict(entries), "results": ref}
    assert load_results(verdict, verdict_path) == entries
    # another run's file under the same name: refused by its digest
    results_path_for(verdict_path).write_bytes(encode(entries[:-1]))
    with pytest.raises(VerdictError, match=r"sha256 .* is not the"):
        load_results(verdict, verdict_path)
    results_path_for(verdict_path).unlink()
    with pytest.raises(VerdictError, match="cannot read the per-test results"):
        load_results(verdict, verdict_path)
    records, problem = read_records(verdict, verdict_path)
    assert records is None
    assert problem
    assert "cannot read" in problem


def test_a_verdict_without_tests_or_reference_has_no_records(tmp_path: Path) -> None:
    empty = make_verdict("incomplete", tiers={})
    assert read_records(empty, tmp_path / "v.json") == ([], None)
    full = make_verdict("ready")  # one unit test collected, no results file named
    records, problem = read_records(full, tmp_path / "v.json")
    assert records is None
    assert problem
    assert "references no per-test results" in problem


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b"{", "not valid JSON"),
        (b"\xff", "not UTF-8"),
        (b'{"format": "other", "version": 1, "tests": []}', "not a pytest-pyramid results"),
        (b'{"format": "pytest-pyramid-results", "version": 9, "tests": []}', "version 9"),
        (b'{"format": "pytest-pyramid-results", "version": 1, "tests": {}}', "not a list"),
        (b'{"format": "pytest-pyramid-results", "version": 1, "tests": [1]}', "not an object"),
        (b'{"format": "pytest-pyramid-results", "version": 1, "tests": '
         b'[{"nodeid": "", "tier": "unit", "outcome": "passed"}]}', "nodeid must be"),
        (b'{"format": "pytest-pyramid-results", "version": 1, "tests": '
         b'[{"nodeid": "t", "tier": "unit", "outcome": "won"}]}', "outcome 'won'"),
        (b'{"format": "pytest-pyramid-results", "version": 1, "tests": '
         b'[{"nodeid": "t", "tier": "unit", "outcome": "passed", "call_s": -1}]}', "call_s"),
        (b'{"format": "pytest-pyramid-results", "version": 1, "tests": '
         b'[{"nodeid": "t", "tier": "unit", "outcome": "passed", "call_s": NaN}]}', "NaN"),
        (b'{"format": "pytest-pyramid-results", "version": 1, "tests": '
         b'[{"nodeid": "t", "tier": "unit", "outcome": "passed", "reruns": true}]}', "reruns"),
        (b'{"format": "pytest-pyramid-results", "version": 1, "tests": '
         b'[{"nodeid": "t\\ud800", "tier": "unit", "outcome": "passed"}]}', "lone surrogate"),
        (b"[" * 100_000, "not valid JSON"),
        (b'{"format": "pytest-pyramid-results", "version": true, "tests": []}', "version True"),
        (b'{"format": "pytest-pyramid-results", "version": 2, "tests": [{"nodeid": "t", '
         b'"tier": "unit", "outcome": "passed", "earlier_attempts": [{"outcome": "failed", '
         b'"where": "rerun"}]}]}', "tests[0]: reruns 0 is not the 1 failed attempt"),
        (b'{"format": "pytest-pyramid-results", "version": 2, "tests": [{"nodeid": "t", '
         b'"tier": "unit", "outcome": "passed", "earlier_attempts": []}]}', "non-empty list"),
    ],
)
def test_bad_results_files_are_refused_naming_the_problem(document: bytes, problem: str) -> None:
    with pytest.raises(VerdictError, match=re.escape(problem)):
        parse_results(document, "r.json")


@pytest.mark.parametrize(
    "document",
    [
        # version 1 (before earlier_attempts): still read, its reruns are failed attempts
        b'{"format": "pytest-pyramid-results", "version": 1, "tests": [{"nodeid": "t", '
        b'"tier": "unit", "outcome": "passed", "reruns": 1}]}',
        b'{"format": "pytest-pyramid-results", "version": 2, "tests": [{"nodeid": "t", '
        b'"tier": "unit", "outcome": "passed", "reruns": 1, "earlier_attempts": [{"outcome": '
        b'"failed", "duration_s": 0.5, "where": "rerun"}, {"outcome": "passed", '
        b'"duration_s": 0.25, "where": "shard retry", "shard_try": 1}]}]}',
    ],
    ids=["version-1", "version-2"],
)
def test_results_files_of_both_versions_are_read(document: bytes) -> None:
    (entry,) = parse_results(document, "r.json")
    assert entry["reruns"] == 1


# -- options and identities ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("html", {"html": "V/pyramid-report.html"}),
        ("html, ctrf ,junit", {"html": "V/pyramid-report.html",
                               "ctrf": "V/pyramid-report.ctrf.json",
                               "junit": "V/pyramid-report.junit.xml"}),
        ("ctrf=out/c.json,html", {"ctrf": "B/out/c.json", "html": "V/pyramid-report.html"}),
    ],
)
def test_report_kinds(text: str, expected: dict[str, str]) -> None:
    found = parse_kinds(text, "--pyramid-report", base=Path("B"), default_dir=Path("V"))
    assert {k: v.as_posix() for k, v in found.items()} == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pdf", "--pyramid-report = 'pdf': unknown report 'pdf'"),
        ("html=", "html= needs a file path"),
        (" , ", "name at least one of html, ctrf, junit"),
    ],
)
def test_bad_report_kinds_name_the_option_and_value(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_kinds(text, "--pyramid-report", base=Path("B"), default_dir=Path("V"))


@pytest.mark.parametrize(
    ("environ", "run_id", "number"),
    [
        ({"PYRAMID_RUN_ID": "mine", "PYRAMID_RUN_NUMBER": "12"}, "mine", 12),
        ({"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "991",
          "GITHUB_JOB": "test", "GITHUB_RUN_NUMBER": "41", "GITHUB_RUN_ATTEMPT": "2"},
         "github:o/r:991:test", 41),
        ({"GITLAB_CI": "true", "CI_PROJECT_PATH": "g/p", "CI_PIPELINE_ID": "5",
          "CI_JOB_NAME": "test 2/4", "CI_PIPELINE_IID": "17"}, "gitlab:g/p:5:test", 17),
        ({"BUILDKITE": "true", "BUILDKITE_PIPELINE_SLUG": "p", "BUILDKITE_BUILD_ID": "b-1",
          "BUILDKITE_STEP_KEY": "tests", "BUILDKITE_BUILD_NUMBER": "8"},
         "buildkite:p:b-1:tests", 8),
        ({"CIRCLECI": "true", "CIRCLE_PROJECT_REPONAME": "r", "CIRCLE_WORKFLOW_ID": "w",
          "CIRCLE_JOB": "test"}, "circleci:r:w:test", None),
        ({"JENKINS_URL": "http://j", "JOB_NAME": "app", "BUILD_NUMBER": "3"},
         "jenkins:app:3", 3),
        ({"GITHUB_ACTIONS": "true", "GITHUB_RUN_NUMBER": "x"}, "local:", None),
    ],
)
def test_run_identity(environ: dict[str, str], run_id: str, number: int | None) -> None:
    found = run_identity(environ)
    if run_id == "local:":
        assert found.run_id.startswith("local:")
        assert len(found.run_id) == 38
        assert found.run_id != run_identity(environ).run_id  # one id per run
    else:
        assert found.run_id == run_id
    assert found.run_number == number


def test_ctrf_of_no_tests_is_valid() -> None:
    verdict = make_verdict("incomplete", tiers={})
    document = render_ctrf(verdict, [])
    assert ctrf_errors(document) == []
    assert document["results"]["summary"]["tests"] == 0
    json.dumps(document, allow_nan=False)


# -- the budget figure: the one the budget gate judged, in every report ---------------------


@pytest.mark.parametrize(
    ("basis", "shown", "header", "other"),
    [
        # under xdist the summed test time (25m) outgrows the wall time (10m): the gate
        # judges wall time by default, so 50% is what every report shows, never 125%
        (None, "10m00s / 20m00s (50%)", "wall time / budget", "25m00s"),
        ("wall", "10m00s / 20m00s (50%)", "wall time / budget", "25m00s"),
        ("sum", "25m00s / 20m00s (125%)", "summed test time / budget", "10m00s"),
    ],
)
def test_every_report_shows_the_figure_the_budget_gate_judges(
    basis: str | None, shown: str, header: str, other: str
) -> None:
    from pytest_pyramid.verdict.render_text import tier_table
    from pytest_pyramid.verdict.report_svg import pyramid

    changes: dict[str, Any] = {"wall_time_s": 600.0, "test_time_s": 1500.0, "budget_s": 1200.0}
    if basis is not None:
        changes["budget_basis"] = basis
    verdict = make_verdict(tiers={"integration": tier(3, **changes)})
    assert report_data.budget_use(verdict["tiers"]["integration"]) == (
        1500.0 if basis == "sum" else 600.0, 1200.0)
    html = render_html(verdict, [])
    row = re.search(r'<tr data-tier="integration">.*?</tr>', html)
    assert row is not None
    assert f"<td>{shown}</td><td>{other}</td>" in row.group(0)
    assert f"<th>{header}</th>" in html
    summary = step_summary(verdict, [])
    assert f"| {header} |" in summary
    assert f"| {shown} |" in summary
    terminal = "\n".join(tier_table(verdict))
    assert shown in terminal
    assert ("summed / budget" if basis == "sum" else "wall / budget") in terminal
    used, budget = shown.split(" (")[0].split(" / ")
    assert f"{used} / {budget}</text>" in pyramid(verdict, {})


# -- words a person reads at a glance -------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "noun", "plural", "text"),
    [(0, "test", None, "0 tests"), (1, "test", None, "1 test"), (2, "test", None, "2 tests"),
     (1, "executed test", None, "1 executed test"), (3, "query", "queries", "3 queries")],
)
def test_counted_nouns_agree_with_their_number(
    n: int, noun: str, plural: str | None, text: str
) -> None:
    from pytest_pyramid.gates.wording import count

    assert count(n, noun, plural) == text


def test_one_test_is_one_test_in_the_pass_rate_and_the_pyramid() -> None:
    from pytest_pyramid.gates.budgets import pass_rate_gate
    from pytest_pyramid.run.summary import RunSummary, TierStats
    from pytest_pyramid.verdict.report_svg import pyramid

    run = RunSummary(tiers={"unit": TierStats("unit", selected=True, collected=1, passed=1)},
                     selected_tiers=("unit",))
    assert pass_rate_gate(run).message == "1 of 1 executed test passed"
    svg = pyramid(make_verdict(tiers={"unit": tier(1)}), {"unit": 1.0})
    assert ">1 test<" in svg
    assert "1 tests" not in svg


def test_a_gate_not_evaluated_is_spelled_out_and_the_columns_stay_aligned() -> None:
    from pytest_pyramid.verdict.render_text import gate_lines

    gates: list[dict[str, Any]] = [
        {"id": "tests.pass_rate", "level": "block", "status": "pass", "actual": 100.0,
         "threshold": 100.0, "message": "ok"},
        {"id": "static.audit", "level": "block", "status": "not_evaluated", "actual": None,
         "threshold": 0, "message": "pip-audit is not installed", "on_missing": "warn"},
    ]
    lines = gate_lines(gates, explain=True)
    text = "\n".join(lines)
    assert "N/E" not in text
    heads = [line for line in lines if "tests.pass_rate" in line or "static.audit " in line]
    assert heads[0].startswith("PASS ")
    assert heads[1].startswith("NOT EVALUATED block")
    assert heads[0].index("tests.pass_rate") == heads[1].index("static.audit")
    # and each message stands under its gate id
    message = lines[lines.index(heads[1]) + 1]
    assert message.index("pip-audit") == heads[1].index("static.audit")
    # PASS and FAIL alone keep their narrow column
    assert gate_lines(gates[:1], explain=True)[0].startswith("PASS block   tests.pass_rate")


def test_the_step_summary_never_prints_none() -> None:
    verdict = make_verdict(
        "incomplete",
        tiers={"unit": tier(1, budget_s=None, coverage=None)},
        gates=[{"id": "static.audit", "level": "block", "status": "not_evaluated",
                "actual": None, "threshold": None, "message": "pip-audit is not installed",
                "on_missing": "fail"}],
        reasons=["gate static.audit: not evaluated"],
    )
    text = step_summary(verdict, [])
    row = "| `static.audit` | block | ? not evaluated | - | - | pip-audit is not installed |"
    assert row in text
    assert "None" not in text


# -- what a newcomer reads at a glance: units, scales, shapes, only tiers with tests -------


@pytest.mark.parametrize(
    ("gate", "actual", "threshold"),
    [
        ({"id": "budget.unit", "actual": 0.263, "threshold": 30}, "263ms", "30.0s"),
        ({"id": "budget.e2e", "actual": 95.5, "threshold": 90.0}, "1m36s", "1m30s"),
        ({"id": "coverage.unit", "actual": 75.9, "threshold": 60}, "75.9%", "60%"),
        ({"id": "coverage.changed_lines", "actual": None, "threshold": 80}, "-", "80%"),
        ({"id": "tests.pass_rate", "actual": 95.77, "threshold": 100.0}, "95.77%", "100%"),
        ({"id": "static.duplication", "actual": 1.5, "threshold": 3}, "1.5%", "3%"),
        ({"id": "pyramid.shape", "actual": 0.1234, "threshold": "unit 50% (±15%)"},
         "12.3%", "unit 50% (±15%)"),
        ({"id": "metric.load.p95_ms", "actual": 612, "threshold": "< 500"}, "612 ms", "< 500 ms"),
        ({"id": "metric.e2e.page_load_ms{page:home}", "actual": 120.5,
          "threshold": "p95 < 2000"}, "120.5 ms", "p95 < 2000 ms"),
        ({"id": "metric.load.rps", "actual": 80, "threshold": ">= 100"},
         "80 req/s", ">= 100 req/s"),
        ({"id": "metric.job.duration_s", "actual": 2, "threshold": "< 5"}, "2 s", "< 5 s"),
        # no unit known: the figure as it is
        ({"id": "metric.load.error_rate", "actual": 0.1459, "threshold": "< 0.005"},
         "0.1459", "< 0.005"),
        ({"id": "static.complexity", "actual": 12, "threshold": 10}, "12", "10"),
        ({"id": "tests.flaky", "actual": 0, "threshold": 0}, "0", "0"),
        ({"id": "risk.approval", "actual": "high", "threshold": "medium"}, "high", "medium"),
        ({"id": "my.plugin_gate", "actual": None, "threshold": None}, "-", "-"),
    ],
)
def test_gate_values_carry_their_unit(gate: dict[str, Any], actual: str, threshold: str) -> None:
    assert report_data.gate_value(gate, "actual") == actual
    assert report_data.gate_value(gate, "threshold") == threshold


def _gate(gate_id: str, actual: object, threshold: object, status: str = "fail") -> dict[str, Any]:
    return {"id": gate_id, "level": "block", "status": status, "actual": actual,
            "threshold": threshold, "message": "why", "on_missing": "fail"}


def test_every_report_shows_gate_values_with_units() -> None:
    from pytest_pyramid.verdict.render_text import gate_lines

    gates = [_gate("budget.unit", 31.5, 30.0), _gate("metric.load.p95_ms", 612, "< 500")]
    verdict = make_verdict("blocked", gates=gates, reasons=["gate budget.unit: over"])
    html = render_html(verdict, [])
    assert "<td>31.5s</td><td>30.0s</td>" in html
    assert "<td>612 ms</td><td>&lt; 500 ms</td>" in html
    summary = step_summary(verdict, [])
    assert "| 31.5s | 30.0s |" in summary
    assert "| 612 ms | < 500 ms |" in summary
    text = "\n".join(gate_lines(gates, explain=False))
    assert "31.5s (limit 30.0s)" in text
    assert "612 ms (limit < 500 ms)" in text


@pytest.mark.parametrize(
    ("values", "unit", "low", "high"),
    [
        ([94.5, 94.8], "%", 89.9, 99.4),  # a 0.3 change in a ~9.5-point-wide scale
        ([40.0, 90.0], "%", 40.0, 90.0),  # a real change keeps its own range
        ([99.0, 99.5], "%", 90.0, 100.0),  # never past 100%
        ([41.0, 41.0], "", 38.95, 43.05),
        ([0.0, 0.0], "", 0.0, 1.0),  # nothing to scale by: one unit, never below 0
        ([0.2, 0.21], " s", 0.1945, 0.2155),
    ],
)
def test_a_sparkline_scale_never_makes_a_small_change_a_spike(
    values: list[float], unit: str, low: float, high: float
) -> None:
    from pytest_pyramid.verdict.report_svg import spark_scale

    found = spark_scale(values, unit)
    assert found == pytest.approx((low, high), abs=0.06)


def test_a_sparkline_labels_its_scale() -> None:
    from pytest_pyramid.verdict.report_svg import sparkline

    svg = sparkline([94.5, 94.8], labels=["#1", "#2"], unit="%")
    high = re.search(r'class="scale-high small"[^>]*>([^<]+)<', svg)
    low = re.search(r'class="scale-low small"[^>]*>([^<]+)<', svg)
    assert high
    assert low
    assert (low[1], high[1]) == ("89.9%", "99.4%")
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert abs(ys[0] - ys[1]) < 3  # 0.3 points of a 9.5-point scale: a sliver, not a spike


def test_statuses_are_shapes_not_colour_alone() -> None:
    verdict = make_verdict(
        "blocked",
        tiers={"unit": tier(3), "integration": tier(1, failed=1, status="failed")},
        gates=[_gate("tests.pass_rate", 75.0, 100.0),
               _gate("static.audit", None, 0, status="not_evaluated"),
               _gate("budget.unit", 0.1, 30.0, status="pass")],
        reasons=["gate tests.pass_rate: 1 of 4 executed tests failed"],
    )
    html = render_html(verdict, [])
    assert ">✗ fail<" in html
    assert ">? not evaluated<" in html
    assert ">✓ pass<" in html
    assert ">✓ passed<" in html
    assert ">✗ failed<" in html
    assert "<h1>✗ BLOCKED</h1>" in html
    pyramid_svg = html.split('<svg class="pyramid"', 1)[1].split("</svg>", 1)[0]
    assert 'class="marker marker-check" data-status="passed"' in pyramid_svg
    assert 'class="marker marker-cross" data-status="failed"' in pyramid_svg
    summary = step_summary(verdict, [])
    assert "| ✗ fail |" in summary
    assert "| ? not evaluated |" in summary
    assert "| ✗ failed |" in summary


def test_reports_list_only_tiers_with_tests() -> None:
    from pytest_pyramid.verdict.render_text import tier_table

    empty = tier(0, required=False, files_on_disk=0, status="empty")
    verdict = make_verdict(
        "ready",
        tiers={"unit": tier(3), "integration": empty, "contract": dict(empty),
               "e2e": tier(0, required=True, files_on_disk=0, status="not_run")},
    )
    html = render_html(verdict, [])
    listed = re.findall(r'<tr data-tier="([^"]+)">', html.split('id="tiers"', 1)[1].split(
        "</section>", 1)[0])
    assert listed == ["unit", "e2e"]  # e2e: empty but required, so the verdict names it
    assert re.findall(r'<g class="tier [^"]*" data-tier="([^"]+)"', html) == ["e2e", "unit"]
    summary = step_summary(verdict, [])
    assert "| unit |" in summary
    assert "| e2e |" in summary
    assert "| integration |" not in summary
    assert "| contract |" not in summary
    table = "\n".join(tier_table(verdict))
    assert "integration" not in table
    assert "contract" not in table


def test_a_shape_target_is_drawn_under_its_band_never_inside_it() -> None:
    from pytest_pyramid.verdict.report_svg import pyramid

    verdict = make_verdict("ready", tiers={"unit": tier(40), "e2e": tier(10)})
    svg = pyramid(verdict, {"unit": 0.5, "e2e": 0.5})  # unit's target is narrower than unit
    bands = {m[0]: (float(m[1]), float(m[2])) for m in re.findall(
        r'data-tier="(\w+)".*?<rect class="band" x="[\d.]+" y="(\d+)" width="[\d.]+" '
        r'height="(\d+)"', svg)}
    targets = re.findall(r'<path class="target" d="M[\d.]+,([\d.]+)V([\d.]+)H', svg)
    assert len(targets) == 2
    for (top, height), (tick, base) in zip(
            [bands["e2e"], bands["unit"]], targets, strict=True):  # drawn top-down
        assert float(tick) >= top + height  # below the band's bottom edge
        assert float(base) > top + height
