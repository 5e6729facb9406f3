from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.config import parse_settings
from pytest_pyramid.errors import VerdictError
from pytest_pyramid.results import GateResult, effect_of
from pytest_pyramid.run.summary import RunSummary, TierStats
from pytest_pyramid.verdict.decision import (
    approvals_needed,
    contradiction,
    decide,
    exit_status,
    judge,
)
from pytest_pyramid.verdict.document import (
    build_verdict,
    load_verdict,
    merge_sections,
    schema_errors,
)
from pytest_pyramid.verdict.provenance import GitInfo
from tests.verdict_factory import make_verdict, tier

if TYPE_CHECKING:
    from pytest_pyramid.verdict.document import Verdict


def gate(status: str, level: str = "block", on_missing: str = "fail") -> GateResult:
    return GateResult("g", level, status, message="m", on_missing=on_missing)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "level", "on_missing", "effect"),
    [
        ("pass", "block", "fail", "none"),
        ("fail", "block", "fail", "block"),
        ("fail", "approve", "fail", "approve"),
        ("fail", "warn", "fail", "warn"),
        ("fail", "off", "fail", "none"),
        ("not_evaluated", "block", "fail", "block"),
        ("not_evaluated", "block", "approve", "approve"),
        ("not_evaluated", "block", "warn", "warn"),
        ("not_evaluated", "block", "skip", "none"),
        ("not_evaluated", "warn", "approve", "warn"),
        ("not_evaluated", "approve", "fail", "approve"),
    ],
)
def test_effect_of(status: str, level: str, on_missing: str, effect: str) -> None:
    assert effect_of(gate(status, level, on_missing)) == effect


def doc(
    gates: list[GateResult] = (),  # type: ignore[assignment]
    problems: list[str] = (),  # type: ignore[assignment]
    interrupted: bool = False,
    **tiers: dict[str, Any],
) -> dict[str, Any]:
    return {
        "gates": [g.to_json() for g in gates],
        "completeness": [{"kind": "k", "message": m} for m in problems],
        "run": {"interrupted": interrupted},
        "tiers": tiers or {"unit": tier()},
    }


@pytest.mark.parametrize(
    ("gates", "problems", "interrupted", "decision"),
    [
        ([], [], False, "ready"),
        ([gate("pass")], [], False, "ready"),
        ([gate("fail", "warn")], [], False, "ready"),
        ([gate("fail", "approve")], [], False, "needs_approval"),
        ([gate("fail")], [], False, "blocked"),
        ([gate("fail"), gate("fail", "approve")], [], False, "blocked"),
        ([gate("pass")], ["tier e2e not run"], False, "incomplete"),
        ([gate("fail", "approve")], ["tier e2e not run"], False, "incomplete"),
        ([gate("fail")], ["tier e2e not run"], False, "blocked"),
        ([gate("fail")], ["interrupted"], True, "incomplete"),
        ([], [], True, "incomplete"),
        ([gate("not_evaluated")], [], False, "blocked"),
        ([gate("not_evaluated", on_missing="skip")], [], False, "ready"),
        ([gate("not_evaluated", on_missing="approve")], [], False, "needs_approval"),
    ],
)
def test_decision_rule(
    gates: list[GateResult], problems: list[str], interrupted: bool, decision: str
) -> None:
    result, reasons = decide(doc(gates, problems, interrupted))
    assert result == decision
    assert reasons
    if problems:
        assert problems[0] in reasons


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        (tier(passed=0, selected=False), "not selected"),
        (tier(passed=0, collected=0, files_on_disk=0), "has no tests"),
        (tier(passed=0, collected=0, files_on_disk=2), "none of its 2 test file(s) was collected"),
        (tier(passed=0, collected=2, skipped=2), "all its tests were skipped"),
        (tier(passed=0, collected=2, xfailed=2), "all its tests were xfailed"),
        (tier(passed=0, collected=2, skipped=1, xfailed=1), "skipped or xfailed"),
        (tier(passed=0, collected=1, failed=1), "none of its tests passed"),
        (tier(passed=0, collected=3), "none of its tests ran"),
        (tier(passed=1), None),
        (tier(passed=0, xpassed=1, collected=1), None),
        (tier(passed=0, collected=0, files_on_disk=0, required=False), None),
    ],
)
def test_a_required_tier_ran_only_if_something_in_it_passed(
    entry: dict[str, Any], why: str | None
) -> None:
    judgement = judge(doc(e2e=entry))
    if why is None:
        assert judgement.decision == "ready"
    else:
        assert judgement.decision in ("incomplete", "blocked")
        assert any(
            r.startswith("required tier e2e did not run") and why in r for r in judgement.reasons
        ), judgement.reasons


@pytest.mark.parametrize("configured", [0, 1, 3])
def test_approvals_are_never_zero(configured: int) -> None:
    verdict = make_verdict("needs_approval")
    verdict["risk"]["required_approvals"] = configured
    required, _, sentence = approvals_needed(verdict)
    assert required == max(1, configured)
    assert f"needs {max(1, configured)} approval(s)" in sentence


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"decision": "ready", "gates": make_verdict("blocked")["gates"]}, "'blocked'"),
        ({"decision": "ready", "completeness": [{"kind": "x", "message": "gone"}]}, "gone"),
        (
            {"decision": "ready", "tiers": {"e2e": tier(passed=0, collected=2, skipped=2)}},
            "required tier e2e did not run",
        ),
        ({"decision": "blocked"}, "no gate, tier or completeness problem"),
    ],
)
def test_a_file_whose_decision_contradicts_its_content_is_named(
    edit: dict[str, Any], says: str
) -> None:
    verdict = {**make_verdict("ready"), **edit}
    problem = contradiction(verdict)
    assert problem is not None
    assert says in problem
    assert contradiction(make_verdict("ready")) is None


@pytest.mark.parametrize(
    ("pytest_status", "decision", "kwargs", "expected"),
    [
        (0, "ready", {}, 0),
        (0, "blocked", {"gate_blocks": True}, 1),
        (0, "incomplete", {}, 0),
        (0, "ready", {"hook_errors": True}, 1),
        (1, "ready", {"excused_failures": 2}, 0),
        (1, "incomplete", {"excused_failures": 2, "tests_left_over": True}, 1),
        (1, "blocked", {"excused_failures": 2}, 1),
        (2, "incomplete", {}, 2),
    ],
)
def test_exit_status(
    pytest_status: int, decision: str, kwargs: dict[str, Any], expected: int
) -> None:
    options = {
        "gate_blocks": False,
        "hook_errors": False,
        "excused_failures": 0,
        "tests_left_over": False,
        **kwargs,
    }
    assert exit_status(pytest_status, decision, **options)[0] == expected  # type: ignore[arg-type]


def sample_verdict(**changes: Any) -> dict[str, Any]:
    settings = parse_settings({}, "pyproject.toml", Path("."), {})
    run = RunSummary(
        tiers={"unit": TierStats("unit", selected=True, collected=2, passed=2, test_time_s=0.5)},
        selected_tiers=("unit",),
    )
    run.tiers["unit"].offer_slow("t.py::a", 0.4)
    verdict: dict[str, Any] = build_verdict(  # type: ignore[assignment]
        run=run,
        tiers=settings.tiers,
        required=("unit",),
        gates=[gate("pass"), gate("fail", "off")],
        problems=[],
        interrupted=False,
        git=GitInfo("a" * 40, None, "main", False, tree="b" * 40, head_tree="b" * 40),
        config={"file": "pyproject.toml", "digest": "sha256:x"},
        tool_version="1.0",
        python_version="3.11.7",
        pytest_version="9.2.0",
        args=["-q"],
    )
    verdict["decision"], verdict["reasons"] = decide(verdict)
    verdict.update(changes)
    return verdict


def test_built_verdict_matches_schema_and_drops_off_gates() -> None:
    verdict = sample_verdict()
    assert schema_errors(verdict) == []
    assert [g["id"] for g in verdict["gates"]] == ["g"]
    assert verdict["tiers"]["unit"]["slowest"] == [{"nodeid": "t.py::a", "duration_s": 0.4}]
    assert verdict["tiers"]["unit"]["status"] == "passed"
    assert verdict["decision"] == "ready"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"schema_version": 1}, "schema_version"),
        ({"tree": {"digest": "x", "head": None, "excluded": []}}, "tree/digest"),
        ({"completeness": [{"kind": ""}]}, "completeness/0"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"gates": [{"id": "x"}]}, "gates/0"),
    ],
)
def test_schema_rejects_bad_fields(change: dict[str, Any], where: str) -> None:
    errors = schema_errors(sample_verdict(**change))
    assert errors
    assert errors[0].startswith(where)


def test_merge_sections_merges_tiers_and_metrics() -> None:
    verdict = cast("Verdict", sample_verdict())
    merge_sections(verdict, {"tiers": {"unit": {"coverage": {"percent": 97.0}}}})
    merge_sections(verdict, {"metrics": {"a": {"samples": []}}})
    merge_sections(verdict, {"metrics": {"b": {"samples": []}}})
    assert verdict["tiers"]["unit"]["coverage"] == {"percent": 97.0}
    assert verdict["tiers"]["unit"]["passed"] == 2
    assert set(verdict["metrics"]) == {"a", "b"}
    assert schema_errors(verdict) == []


@pytest.mark.parametrize(
    "sections",
    [
        {"decision": "ready"},
        {"gates": []},
        {"completeness": []},
        {"tiers": {"unit": {"failed": 0}}},
    ],
)
def test_a_plugin_cannot_replace_the_judgement(sections: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"pytest-pyramid itself|count of the run"):
        merge_sections(sample_verdict(), sections)  # type: ignore[arg-type]


def test_atomic_write_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out" / "v.json"
    write_json_atomic(path, sample_verdict())
    assert load_verdict(path)["decision"] == "ready"
    assert [p.name for p in path.parent.iterdir()] == ["v.json"]


@pytest.mark.parametrize("bad", [object(), float("nan"), float("inf")])
def test_atomic_write_keeps_the_old_file_when_serialising_fails(
    tmp_path: Path, bad: object
) -> None:
    path = tmp_path / "v.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises((TypeError, ValueError)):
        write_json_atomic(path, {"a": bad})
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["v.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('{"decision": "ready"}', "schema"),
        ("", "empty"),
        ('{"a": NaN}', "NaN"),
        ('{"a": 1e999}', "not finite"),
        ('{"a": "\\ud800"}', "lone surrogate"),
        ("[" * 100 + "]" * 100, "nested deeper"),
        ('{"a": ' + "9" * 30 + "}", "too large"),
    ],
)
def test_load_verdict_errors_name_the_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "v.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(VerdictError, match=message) as info:
        load_verdict(path)
    assert str(path) in str(info.value)
