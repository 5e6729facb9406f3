from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from pytest_pyramid.gates.cov.changed import ChangedLines
from pytest_pyramid.gates.cov.config import CoverageSettings, TierCoverage
from pytest_pyramid.gates.cov.gates import CoverageState, changed_figure, evaluate, passes
from pytest_pyramid.gates.cov.measure import TOTAL, FileLines, Measurement, Numbers
from pytest_pyramid.results import GateResult, effect_of
from pytest_pyramid.run.summary import RunSummary, TierStats

TIERS = ("unit", "integration", "e2e")
ROOT = "/repo"


def run_summary(**executed: int) -> RunSummary:
    """``unit=3`` -> unit selected with 3 passed tests; ``e2e=-1`` -> e2e not selected."""
    tiers = {}
    for name in TIERS:
        count = executed.get(name, 0)
        tiers[name] = TierStats(
            name, selected=count >= 0, collected=max(count, 0), passed=max(count, 0)
        )
    return RunSummary(tiers=tiers, selected_tiers=tuple(t for t in TIERS if tiers[t].selected))


def settings(**kwargs: Any) -> CoverageSettings:
    base: dict[str, Any] = {"source": f"{ROOT}/pyproject.toml", "tier_order": TIERS}
    return CoverageSettings(**{**base, **kwargs})


def measurement(groups: dict[str, Numbers], branch: bool = False) -> Measurement:
    files = {
        f"{ROOT}/pkg/a.py": FileLines(
            f"{ROOT}/pkg/a.py", frozenset(range(1, 11)), frozenset({8, 9, 10})
        ),
        f"{ROOT}/pkg/b.py": FileLines(f"{ROOT}/pkg/b.py", frozenset({1, 2, 5}), frozenset()),
    }
    return Measurement(branch=branch, groups=dict(groups), files=files)


def by_id(gates: list[GateResult]) -> dict[str, GateResult]:
    return {g.id: g for g in gates}


UNIT_95 = TierCoverage("unit", 95.0, "block")
INTEG_50 = TierCoverage("integration", 50.0, "warn")
E2E_10 = TierCoverage("e2e", 10.0, "block")


def test_judgement_table() -> None:
    state = CoverageState(
        measurement(
            {
                TOTAL: Numbers(100, 10, files=2),
                "unit": Numbers(100, 4, files=2),
                "integration": Numbers(100, 51, files=2),
            }
        ),
        rootdir=ROOT,
    )
    report = evaluate(
        settings(tiers=(UNIT_95, INTEG_50), total=90.0), state, run_summary(unit=3, integration=2)
    )
    gates = by_id(report.gates)
    assert (gates["coverage.unit"].status, gates["coverage.unit"].actual) == ("pass", 96.0)
    assert gates["coverage.unit"].message == "unit tier coverage: 96.00% >= 95%"
    assert gates["coverage.unit"].details["lines_covered"] == 96
    assert (gates["coverage.integration"].status, gates["coverage.integration"].actual) == (
        "fail",
        49.0,
    )
    assert gates["coverage.integration"].level == "warn"
    assert effect_of(gates["coverage.integration"]) == "warn"
    assert (gates["coverage.total"].status, gates["coverage.total"].actual) == ("pass", 90.0)
    assert gates["coverage.total"].details["tiers"] == ["unit", "integration"]


def test_a_tier_not_selected_is_not_evaluated_never_zero() -> None:
    state = CoverageState(
        measurement({TOTAL: Numbers(10, 2, files=1), "unit": Numbers(10, 2, files=1)}),
        rootdir=ROOT,
    )
    report = evaluate(settings(tiers=(UNIT_95, E2E_10)), state, run_summary(unit=3, e2e=-1))
    e2e = by_id(report.gates)["coverage.e2e"]
    assert e2e.status == "not_evaluated"
    assert e2e.actual is None
    assert e2e.on_missing == "skip"
    assert "not selected" in e2e.message
    tiers = report.sections["tiers"]
    assert isinstance(tiers, dict)
    assert tiers["e2e"]["coverage"]["percent"] is None
    assert "not selected" in tiers["e2e"]["coverage"]["reason"]


def test_total_is_not_judged_on_a_partial_run_but_its_figure_is_shown() -> None:
    state = CoverageState(
        measurement({TOTAL: Numbers(100, 40, files=2), "unit": Numbers(100, 40, files=2)}),
        rootdir=ROOT,
    )
    run = run_summary(unit=3, e2e=-1)
    run.tiers["e2e"].paths_not_collected = 2  # e2e has tests that --tier left out
    total = by_id(evaluate(settings(total=90.0), state, run).gates)["coverage.total"]
    assert (total.status, total.on_missing, effect_of(total)) == ("not_evaluated", "skip", "none")
    assert "left out e2e (measured 60.00% on the tiers that ran)" in total.message
    full = by_id(evaluate(settings(total=90.0), state, run_summary(unit=3)).gates)
    assert (full["coverage.total"].status, full["coverage.total"].actual) == ("fail", 60.0)


@pytest.mark.parametrize(
    ("stats", "reason"),
    [
        (TierStats("e2e", selected=True, collected=0), "has no tests"),
        (TierStats("e2e", selected=True, collected=4, skipped=4), "none executed"),
    ],
)
def test_a_selected_tier_that_did_not_run_blocks_as_missing_evidence(
    stats: TierStats, reason: str
) -> None:
    run = run_summary(unit=1)
    run.tiers["e2e"] = stats
    state = CoverageState(measurement({TOTAL: Numbers(10, 2, files=1)}), rootdir=ROOT)
    gate = by_id(evaluate(settings(tiers=(E2E_10,)), state, run).gates)["coverage.e2e"]
    assert gate.status == "not_evaluated"
    assert gate.on_missing == "fail"
    assert reason in gate.message
    assert effect_of(gate) == "block"


def test_nothing_measured_makes_every_gate_not_evaluated() -> None:
    reason = "coverage was not measured (no --cov): run pytest with --cov (pytest-cov)"
    state = CoverageState(None, reason=reason, rootdir=ROOT)
    report = evaluate(
        settings(tiers=(UNIT_95,), total=90.0, changed_lines=80.0, base="main"),
        state,
        run_summary(unit=3),
    )
    assert {g.id: (g.status, g.on_missing, g.message) for g in report.gates} == {
        "coverage.unit": ("not_evaluated", "fail", reason),
        "coverage.total": ("not_evaluated", "fail", reason),
        "coverage.changed_lines": ("not_evaluated", "fail", reason),
    }
    coverage = report.sections["coverage"]
    assert isinstance(coverage, dict)
    assert coverage["measured"] is False
    assert coverage["percent"] is None
    assert coverage["reason"] == reason


def test_contexts_unavailable_keeps_the_total_but_not_the_tiers() -> None:
    why = "the coverage core in use (SysMonitor ...) cannot record dynamic contexts"
    state = CoverageState(
        measurement({TOTAL: Numbers(10, 1, files=1)}), tier_reason=why, rootdir=ROOT
    )
    report = evaluate(settings(tiers=(UNIT_95,), total=80.0), state, run_summary(unit=3))
    gates = by_id(report.gates)
    assert gates["coverage.unit"].status == "not_evaluated"
    assert gates["coverage.unit"].on_missing == "fail"
    assert gates["coverage.unit"].message == why
    assert gates["coverage.total"].status == "pass"
    coverage = report.sections["coverage"]
    assert isinstance(coverage, dict)
    assert coverage["tier_reason"] == why


def test_no_statements_measured_is_not_a_pass() -> None:
    state = CoverageState(measurement({TOTAL: Numbers(), "unit": Numbers()}), rootdir=ROOT)
    report = evaluate(settings(tiers=(UNIT_95,), total=90.0), state, run_summary(unit=3))
    for gate in report.gates:
        assert gate.status == "not_evaluated"
        assert gate.on_missing == "fail"
        assert "no executable statements" in gate.message


def test_level_off_reports_the_figure_without_a_gate() -> None:
    state = CoverageState(
        measurement({TOTAL: Numbers(10, 1, files=1), "unit": Numbers(10, 5, files=1)}),
        rootdir=ROOT,
    )
    report = evaluate(
        settings(tiers=(TierCoverage("unit", 95.0, "off"),), total=99.0, total_level="off"),
        state,
        run_summary(unit=3),
    )
    assert report.gates == []
    tiers = report.sections["tiers"]
    assert isinstance(tiers, dict)
    assert tiers["unit"]["coverage"]["percent"] == 50.0
    assert tiers["unit"]["coverage"]["fail_under"] == 95.0


def test_branch_figures_and_tier_without_threshold_still_reported() -> None:
    state = CoverageState(
        measurement(
            {
                TOTAL: Numbers(10, 1, 4, 1, files=1),
                "unit": Numbers(10, 2, 4, 2, files=1),
                "integration": Numbers(10, 9, 4, 4, files=1),
            },
            branch=True,
        ),
        rootdir=ROOT,
    )
    report = evaluate(settings(), state, run_summary(unit=3, integration=1))
    assert report.gates == []
    tiers = report.sections["tiers"]
    assert isinstance(tiers, dict)
    assert tiers["unit"]["coverage"] == {
        "percent": round(100 * (8 + 2) / 14, 2),
        "fail_under": None,
        "lines_covered": 8,
        "lines_total": 10,
        "branches_covered": 2,
        "branches_total": 4,
    }
    assert "e2e" not in tiers  # no threshold and not run: nothing to say
    coverage = report.sections["coverage"]
    assert isinstance(coverage, dict)
    assert coverage["branch"] is True
    assert coverage["branches_covered"] == 3


@pytest.mark.parametrize(
    ("covered", "total", "threshold", "ok"),
    [
        (90, 100, 90.0, True),
        (89, 100, 90.0, False),
        (99996, 100000, 100.0, False),
        (100, 100, 100.0, True),
        (2, 3, 66.67, True),
        (2, 3, 66.68, False),
        (0, 5, 0.0, True),
    ],
)
def test_passes(covered: int, total: int, threshold: float, ok: bool) -> None:
    assert passes(covered, total, threshold) is ok


# -- changed lines ---------------------------------------------------------------------------


def changed(files: dict[str, set[int]], reason: str | None = None) -> ChangedLines:
    return ChangedLines(
        base="main",
        merge_base="abc123",
        files={f"{ROOT}/{p}": frozenset(v) for p, v in files.items()},
        reason=reason,
    )


def test_changed_figure_counts_only_executable_lines_of_measured_files() -> None:
    m = measurement({TOTAL: Numbers(13, 3, files=2)})
    figure = changed_figure(
        m, changed({"pkg/a.py": {1, 8, 9, 20}, "pkg/b.py": {3, 5}, "docs/x.md": {1}}), ROOT
    )
    assert (figure.lines_total, figure.lines_covered) == (4, 2)
    assert figure.uncovered == {"pkg/a.py": frozenset({8, 9})}
    assert (figure.files_changed, figure.files_not_measured) == (3, 1)


def changed_gate(
    files: dict[str, set[int]], *, reason: str | None = None, **kwargs: Any
) -> tuple[GateResult, dict[str, Any]]:
    state = CoverageState(
        measurement({TOTAL: Numbers(13, 3, files=2)}),
        changed=changed(files, reason),
        rootdir=ROOT,
    )
    options: dict[str, Any] = {"changed_lines": 80.0, "base": "main", **kwargs}
    report = evaluate(settings(**options), state, run_summary(unit=1))
    coverage = report.sections["coverage"]
    assert isinstance(coverage, dict)
    return by_id(report.gates)["coverage.changed_lines"], coverage["changed_lines"]


def test_changed_lines_fail_lists_uncovered_ranges() -> None:
    gate, section = changed_gate({"pkg/a.py": {1, 2, 3, 8, 9, 10}})
    assert (gate.status, gate.actual, gate.threshold) == ("fail", 50.0, 80.0)
    assert gate.details["uncovered"] == {"pkg/a.py": "8-10"}
    assert gate.details["merge_base"] == "abc123"
    assert "3/6 covered" in gate.message
    assert section["lines_total"] == 6
    assert section["uncovered"] == {"pkg/a.py": "8-10"}


def test_changed_lines_pass() -> None:
    gate, _ = changed_gate({"pkg/a.py": {1, 2, 3, 4}, "pkg/b.py": {1}})
    assert (gate.status, gate.actual) == ("pass", 100.0)
    assert "uncovered" not in gate.details


def test_fewer_changed_lines_than_the_minimum_is_skipped_not_passed() -> None:
    gate, section = changed_gate({"pkg/a.py": {1, 8}}, min_changed_lines=20)
    assert gate.status == "not_evaluated"
    assert gate.on_missing == "skip"
    assert gate.message == "only 2 changed executable lines (< min_changed_lines = 20)"
    assert section["uncovered"] == {"pkg/a.py": "8"}


def test_no_changed_executable_lines_is_skipped() -> None:
    gate, _ = changed_gate({"docs/readme.md": {1, 2}})
    assert (gate.status, gate.on_missing) == ("not_evaluated", "skip")
    assert "no changed executable lines" in gate.message


def test_git_problem_is_missing_evidence() -> None:
    gate, section = changed_gate({}, reason="base revision 'origin/main' not found")
    assert (gate.status, gate.on_missing) == ("not_evaluated", "fail")
    assert effect_of(gate) == "block"
    assert section["reason"] == "base revision 'origin/main' not found"


def test_changed_lines_threshold_without_base() -> None:
    state = CoverageState(measurement({TOTAL: Numbers(13, 3, files=2)}), rootdir=ROOT)
    report = evaluate(settings(changed_lines=80.0), state, run_summary(unit=1))
    gate = by_id(report.gates)["coverage.changed_lines"]
    assert (gate.status, gate.on_missing) == ("not_evaluated", "fail")
    assert "--pyramid-diff-base" in gate.message


def test_sections_match_the_verdict_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(
        resources.files("pytest_pyramid.verdict").joinpath("schema.json").read_text()
    )
    tier_coverage = schema["$defs"]["tier"]["properties"]["coverage"]
    state = CoverageState(
        measurement({TOTAL: Numbers(10, 1, files=1), "unit": Numbers(10, 2, files=1)}),
        changed=changed({"pkg/a.py": {8}}),
        rootdir=ROOT,
    )
    report = evaluate(
        settings(tiers=(UNIT_95, E2E_10), total=90.0, changed_lines=80.0, base="main"),
        state,
        run_summary(unit=2, e2e=-1),
    )
    tiers = report.sections["tiers"]
    assert isinstance(tiers, dict)
    for entry in tiers.values():
        jsonschema.validate(entry["coverage"], tier_coverage)
    for gate in report.gates:
        jsonschema.validate(gate.to_json(), {**schema["$defs"]["gate"], "$defs": schema["$defs"]})
    json.dumps(report.sections)  # plain JSON, no sets or dataclasses
