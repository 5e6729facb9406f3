"""Pure deploy logic: config validation, gate, approvals, weights, log analysis, Argo counting,
stats. Tables, no processes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy import analysis, gate
from pytest_pyramid.deploy.analysis import AnalysisRun, Limits, UpstreamStats
from pytest_pyramid.deploy.approvals import Approval, tally
from pytest_pyramid.deploy.config import build_config, load_config
from pytest_pyramid.deploy.history import Deployment
from pytest_pyramid.deploy.stats import compute
from pytest_pyramid.deploy.strategies import plan, split
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.verdict.trust import TrustPolicy
from tests.deploy.helpers import make_verdict

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
SHA = "a" * 40
OTHER = "b" * 40


# -- config -------------------------------------------------------------------------------------
def test_defaults_are_the_seed_strategy(tmp_path: Path) -> None:
    config = build_config({}, source="x", root=tmp_path)
    assert config.steps == (5, 25, 50, 100)
    assert config.error_rate_limit == 0.005
    assert config.p95_limit == 0.5
    assert config.strategy == "canary"
    assert config.router == "nginx"
    assert config.history_path == tmp_path / ".pyramid" / "deploy" / "history.sqlite"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("steps", [10, 100], (10, 100)),
        ("steps", "5,25,100", (5, 25, 100)),
        ("error_rate_limit", "1%", 0.01),
        ("error_rate_limit", 0.02, 0.02),
        ("p95_limit", "250ms", 0.25),
        ("max_age", "2h", 7200.0),
        ("strategy", "blue-green", "blue-green"),
        ("compare_with_stable", True, True),
        ("smoke_paths", ["/", "/api"], ("/", "/api")),
    ],
)
def test_config_values(tmp_path: Path, key: str, value: object, expected: object) -> None:
    assert getattr(build_config({key: value}, source="x", root=tmp_path), key) == expected


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("steps", [5, 50], "last step must be 100"),
        ("steps", [50, 25, 100], "strictly increase"),
        ("steps", [0, 100], "between 1 and 100"),
        ("steps", [5, 5, 100], "strictly increase"),
        ("steps", [], "non-empty"),
        ("error_rate_limit", 2, "between 0 and 1"),
        ("error_rate_limit", "lots", "fraction"),
        ("p95_limit", "fast", "duration"),
        ("p95_limit", 0, "> 0"),
        ("min_requests", 0, ">= 1"),
        ("failure_limit", -1, ">= 0"),
        ("strategy", "rainbow", "canary, blue-green"),
        ("router", "haproxy", "nginx, command"),
        ("port", 70000, "<= 65535"),
        ("health_path", "healthz", "starting with '/'"),
        ("compare_with_stable", "maybe", "true or false"),
        ("colour", "blue", "unknown key"),
    ],
)
def test_bad_config_names_key_value_and_file(
    tmp_path: Path, key: str, value: object, why: str
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    import json

    pyproject.write_text(f"[tool.pyramid.deploy]\n{key} = {json.dumps(value)}\n")
    with pytest.raises(ConfigError) as info:
        load_config(pyproject)
    message = str(info.value)
    assert str(pyproject) in message
    assert f"deploy.{key}" in message
    assert repr(value) in message
    assert why in message


def test_cli_override_beats_file_and_is_named_as_a_flag(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.pyramid.deploy]\nsteps = [10, 100]\nmin_requests = 7\n')
    config = load_config(pyproject, {"steps": "20,60,100", "min_requests": None})
    assert config.steps == (20, 60, 100)
    assert config.min_requests == 7
    with pytest.raises(ConfigError, match=r"command line: .*--steps = '5,50'.*last step"):
        load_config(pyproject, {"steps": "5,50"})


def test_command_router_requires_a_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="router_command"):
        build_config({"router": "command"}, source="p.toml", root=tmp_path)


# -- weights and plans --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("strategy", "steps", "weights"),
    [
        ("canary", (5, 25, 50, 100), [5, 25, 50, 100]),
        ("canary", (10, 100), [10, 100]),
        ("canary", (100,), [100]),
        ("blue-green", (5, 25, 50, 100), [100]),
    ],
)
def test_plan(strategy: str, steps: tuple[int, ...], weights: list[int]) -> None:
    stages = plan(strategy, steps)
    assert [s.weight for s in stages] == weights
    assert [s.label for s in stages][-1] == f"step {len(weights)}/{len(weights)}"


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (0, {"s": 100}),
        (5, {"s": 95, "c": 5}),
        (50, {"s": 50, "c": 50}),
        (100, {"c": 100}),  # the stable server is left out, never weight=0
    ],
)
def test_split_leaves_zero_weight_servers_out(weight: int, expected: dict[str, int]) -> None:
    assert split("s", "c", weight) == expected


# -- log analysis -------------------------------------------------------------------------------
def line(upstream: str, status: str, time_s: str, client: int = 200) -> str:
    return f"1700000000.000|{client}|{upstream}|{status}|{time_s}|{time_s}"


def test_parse_lines_charges_each_attempt_to_its_server() -> None:
    window = analysis.parse_lines([
        line("127.0.0.1:1", "200", "0.010"),
        line("127.0.0.1:2", "500", "0.020", client=500),
        # retried: the canary refused the connection, stable answered
        line("127.0.0.1:2, 127.0.0.1:1", "502, 200", "0.000, 0.030"),
        line("-", "-", "-", client=404),
        "garbage",
        "",
    ])
    stable, canary = window.upstreams["127.0.0.1:1"], window.upstreams["127.0.0.1:2"]
    assert (stable.requests, stable.errors) == (2, 0)
    assert (canary.requests, canary.errors) == (2, 2)
    assert window.client_requests == 4
    assert window.client_errors == 1
    assert window.malformed == 1


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [([], 95, None), ([1.0], 95, 1.0), ([float(i) for i in range(1, 101)], 95, 95.0),
     ([float(i) for i in range(1, 21)], 95, 19.0), ([3.0, 1.0, 2.0], 50, 2.0)],
)
def test_percentile_nearest_rank(values: list[float], pct: float, expected: float | None) -> None:
    assert analysis.percentile(values, pct) == expected


def stats(requests: int, errors: int = 0, latency: float = 0.01) -> UpstreamStats:
    return UpstreamStats(requests, errors, [latency] * requests)


@pytest.mark.parametrize(
    ("canary", "stable", "limits", "result", "reason"),
    [
        (stats(4), None, Limits(min_requests=5), "inconclusive", "4 request(s) < min_requests 5"),
        (None, None, Limits(), "inconclusive", "0 request(s)"),
        (stats(100), None, Limits(), "successful", "within limits"),
        (stats(1000, 5), None, Limits(), "successful", "within limits"),  # 0.5% is the limit
        (stats(1000, 6), None, Limits(), "failed", "error rate 0.60% > limit 0.50%"),
        (stats(100, 0, 0.6), None, Limits(), "failed", "p95 600ms > limit 500ms"),
        (stats(100, 0, 0.3), stats(100, 0, 0.1), Limits(compare_with_stable=True), "failed",
         "1.5x stable"),
        (stats(100, 0, 0.3), stats(100, 0, 0.1), Limits(), "successful", "within limits"),
        (stats(100, 0, 0.3), stats(3, 0, 0.1), Limits(compare_with_stable=True), "successful",
         "within limits"),  # too little stable data to compare with
    ],
)
def test_judge(
    canary: UpstreamStats | None, stable: UpstreamStats | None, limits: Limits, result: str,
    reason: str,
) -> None:
    measurement = analysis.judge(canary, stable, limits)
    assert measurement.result == result
    assert reason in "; ".join(measurement.reasons)


@pytest.mark.parametrize(
    ("run", "results", "actions"),
    [
        (AnalysisRun(), ["successful"], ["advance"]),
        (AnalysisRun(measurements_per_step=2), ["successful", "successful"],
         ["measure", "advance"]),
        (AnalysisRun(), ["failed"], ["rollback"]),  # failure_limit 0: first failure rolls back
        (AnalysisRun(failure_limit=1, measurements_per_step=3),
         ["failed", "successful", "failed"], ["measure", "measure", "rollback"]),
        (AnalysisRun(inconclusive_limit=2),
         ["inconclusive", "inconclusive", "inconclusive"], ["measure", "measure", "pause"]),
        (AnalysisRun(inconclusive_limit=1, measurements_per_step=2),
         ["inconclusive", "successful", "inconclusive", "successful"],
         ["measure", "measure", "measure", "advance"]),
        # a measurement error is not a failure; only too many in a row end the rollout
        (AnalysisRun(consecutive_error_limit=2), ["error", "error", "successful"],
         ["measure", "measure", "advance"]),
        (AnalysisRun(consecutive_error_limit=2), ["error", "error", "error"],
         ["measure", "measure", "rollback"]),
    ],
)
def test_analysis_run_counts_like_argo(
    run: AnalysisRun, results: list[analysis.Result], actions: list[str]
) -> None:
    assert [run.record(r) for r in results] == actions


# -- approvals and the gate ----------------------------------------------------------------------
def approval(who: str, role: str = "lead", commit: str = SHA, hours: float = 1) -> Approval:
    return Approval(who, role, commit, NOW - timedelta(hours=hours))


@pytest.mark.parametrize(
    ("approvals", "roles", "counted"),
    [
        ([approval("alice")], ["lead"], 1),
        ([approval("alice"), approval("Alice "), approval("alice", hours=2)], ["lead"], 1),
        ([approval("alice"), approval("bob")], ["lead"], 2),
        ([approval("alice", role="intern")], ["lead"], 0),
        ([approval("alice", role="intern")], [], 1),  # no roles listed: anyone may approve
        ([approval("alice", hours=30)], ["lead"], 0),  # expired (ttl 24h)
        ([approval("alice", commit=OTHER)], ["lead"], 0),
        ([approval("alice", hours=-1)], ["lead"], 0),  # from the future
    ],
)
def test_tally(approvals: list[Approval], roles: list[str], counted: int) -> None:
    result = tally(approvals, commit=SHA, roles=roles, now=NOW, ttl=timedelta(hours=24))
    assert result.count == counted
    assert len(result.counted) + len(result.ignored) == len(approvals)


RISK = {"level": "high", "score": 7.0, "factors": [], "required_approvals": 2,
        "approver_roles": ["lead", "sre"]}


def verdict_at(**kwargs: object) -> dict[str, object]:
    data = make_verdict(SHA, **kwargs)  # type: ignore[arg-type]
    return data


@pytest.mark.parametrize(
    ("verdict", "commit", "extra", "outcome", "reason"),
    [
        (verdict_at(), SHA, {}, "allowed", "ready"),
        (verdict_at(), SHA[:8], {}, "allowed", "ready"),
        (verdict_at(), OTHER, {}, "refused", f"not {OTHER[:12]}"),
        (verdict_at(age=timedelta(hours=25)), SHA, {}, "refused", "older than the 24h00m"),
        (verdict_at(age=timedelta(hours=-1)), SHA, {}, "refused", "in the future"),
        (verdict_at(decision="blocked"), SHA, {}, "refused", "decision is blocked"),
        (verdict_at(decision="incomplete"), SHA, {}, "refused", "decision is incomplete"),
        (verdict_at(dirty=True), SHA, {}, "refused", "changes not in its commit"),
        (verdict_at(dirty=True), SHA, {"allow_dirty": True}, "allowed", "ready"),
        (verdict_at(), SHA, {"policy": TrustPolicy(require_signature=True)}, "refused",
         "not signed"),
        (verdict_at(decision="needs_approval", risk=RISK), SHA, {}, "needs_approval",
         "needs 2 approval(s) from lead, sre (risk high, score 7.0); has 0"),
        (verdict_at(decision="needs_approval", risk=RISK), SHA,
         {"approvals": [approval("alice"), approval("ALICE", role="sre")]}, "needs_approval",
         "has 1"),
        (verdict_at(decision="needs_approval", risk=RISK), SHA,
         {"approvals": [approval("alice"), approval("bob", role="sre")]}, "allowed",
         "approved by alice (lead), bob (sre)"),
        (verdict_at(decision="needs_approval", risk=RISK), SHA,
         {"approvals": [approval("alice"), approval("bob", hours=2)],
          "approval_ttl": timedelta(minutes=90)}, "needs_approval", "expired"),
        (verdict_at(decision="needs_approval"), SHA, {"approvals": [approval("x")]}, "allowed",
         "needs 1 approval"),
    ],
)
def test_gate(
    verdict: dict[str, object], commit: str, extra: dict[str, object], outcome: str, reason: str
) -> None:
    now = datetime.now(timezone.utc)
    if "approvals" in extra:  # approvals are relative to NOW in the table; move them to now
        extra = {**extra, "approvals": [
            Approval(a.who, a.role, a.commit, now - (NOW - a.at))
            for a in extra["approvals"]  # type: ignore[attr-defined]
        ]}
    judgement = gate.judge(verdict, commit=commit, now=now, max_age=timedelta(hours=24),
                           **extra)  # type: ignore[arg-type]
    assert judgement.outcome == outcome
    assert reason in "\n".join(judgement.reasons)
    assert judgement.exit_code == {"allowed": 0, "refused": 1, "needs_approval": 2}[outcome]


def test_gate_lists_every_refusal_reason() -> None:
    verdict = make_verdict(SHA, decision="blocked", age=timedelta(days=3), dirty=True)
    judgement = gate.judge(verdict, commit=OTHER, now=datetime.now(timezone.utc),
                           max_age=timedelta(hours=24),
                           policy=TrustPolicy(max_age_s=86400, require_signature=True))
    assert len(judgement.reasons) == 5


# -- stats ----------------------------------------------------------------------------------------
def deployment(outcome: str, *, days_ago: float = 1, rollback: float | None = None,
               lead_hours: float = 2, dry: bool = False) -> Deployment:
    finished = NOW - timedelta(days=days_ago)
    return Deployment(1, finished - timedelta(minutes=1), finished, SHA,
                      finished - timedelta(hours=lead_hours), "canary", dry, outcome, "", 60.0,
                      rollback)


def test_stats_no_data_is_not_zero() -> None:
    figures = compute([], now=NOW)
    assert figures.success_rate is None
    assert figures.change_failure_rate is None
    assert figures.median_rollback_s is None
    assert figures.median_lead_time_s is None
    assert figures.deployments_per_day is None


def test_stats_figures() -> None:
    history = [
        deployment("succeeded", lead_hours=1), deployment("succeeded", lead_hours=3),
        deployment("succeeded", lead_hours=5),
        deployment("rolled_back", rollback=0.2), deployment("rolled_back", rollback=0.4),
        deployment("rolled_back", rollback=9.0),
        deployment("aborted"), deployment("refused"),
        deployment("succeeded", dry=True),  # dry runs never count
        deployment("succeeded", days_ago=40),  # outside the 30-day window
    ]
    figures = compute(history, now=NOW)
    assert (figures.succeeded, figures.rolled_back, figures.aborted, figures.refused) == (
        3, 3, 1, 1)
    assert figures.success_rate == pytest.approx(3 / 7)
    assert figures.change_failure_rate == pytest.approx(3 / 6)
    assert figures.median_rollback_s == pytest.approx(0.4)
    assert figures.median_lead_time_s == pytest.approx(3 * 3600)
    assert figures.deployments_per_day == pytest.approx(3 / 30)
