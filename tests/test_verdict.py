from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from pytest_pyramid.config import parse_settings
from pytest_pyramid.errors import VerdictError
from pytest_pyramid.gates.base import GateResult, effect_of
from pytest_pyramid.gitinfo import GitInfo
from pytest_pyramid.summary import RunSummary, TierStats
from pytest_pyramid.verdict import (
    build_verdict,
    decide,
    load_verdict,
    merge_sections,
    schema_errors,
    write_json_atomic,
)


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


@pytest.mark.parametrize(
    ("gates", "incomplete", "interrupted", "decision"),
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
        ([gate("not_evaluated")], [], False, "blocked"),
        ([gate("not_evaluated", on_missing="skip")], [], False, "ready"),
    ],
)
def test_decision_rule(
    gates: list[GateResult], incomplete: list[str], interrupted: bool, decision: str
) -> None:
    result, reasons = decide(gates=gates, incomplete=incomplete, interrupted=interrupted)
    assert result == decision
    assert reasons
    if incomplete:
        assert incomplete[0] in reasons


def sample_verdict(**changes: Any) -> dict[str, Any]:
    settings = parse_settings({}, "pyproject.toml", Path("."), {})
    run = RunSummary(
        tiers={"unit": TierStats("unit", selected=True, collected=2, passed=2, test_time_s=0.5)},
        selected_tiers=("unit",),
    )
    run.tiers["unit"].offer_slow("t.py::a", 0.4)
    verdict = build_verdict(
        run=run,
        tiers=settings.tiers,
        gates=[gate("pass"), gate("fail", "off")],
        decision="ready",
        reasons=["ok"],
        git=GitInfo("a" * 40, None, "main", False),
        tool_version="1.0",
        python_version="3.11.7",
        pytest_version="9.2.0",
        args=["-q"],
    )
    verdict.update(changes)
    return verdict


def test_built_verdict_matches_schema_and_drops_off_gates() -> None:
    verdict = sample_verdict()
    assert schema_errors(verdict) == []
    assert [g["id"] for g in verdict["gates"]] == ["g"]
    assert verdict["tiers"]["unit"]["slowest"] == [{"nodeid": "t.py::a", "duration_s": 0.4}]
    assert verdict["tiers"]["unit"]["status"] == "passed"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"schema_version": 2}, "schema_version"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"gates": [{"id": "x"}]}, "gates/0"),
    ],
)
def test_schema_rejects_bad_fields(change: dict[str, Any], where: str) -> None:
    errors = schema_errors(sample_verdict(**change))
    assert errors
    assert errors[0].startswith(where)


def test_merge_sections_merges_tiers_and_metrics() -> None:
    verdict = sample_verdict()
    merge_sections(verdict, {"tiers": {"unit": {"coverage": {"percent": 97.0}}}})
    merge_sections(verdict, {"metrics": {"a": {"samples": []}}})
    merge_sections(verdict, {"metrics": {"b": {"samples": []}}})
    assert verdict["tiers"]["unit"]["coverage"] == {"percent": 97.0}
    assert verdict["tiers"]["unit"]["passed"] == 2
    assert set(verdict["metrics"]) == {"a", "b"}
    assert schema_errors(verdict) == []


def test_atomic_write_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out" / "v.json"
    write_json_atomic(path, sample_verdict())
    assert load_verdict(path)["decision"] == "ready"
    assert [p.name for p in path.parent.iterdir()] == ["v.json"]


def test_atomic_write_keeps_the_old_file_when_serialising_fails(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["v.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("{not json", "not valid JSON"), ('{"decision": "ready"}', "schema")],
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
