"""judge = "nonparametric" in the rollout, pure parts: the split with a fresh baseline, one look
from access-log lines, the settings' refusals, the state record of the baseline; and metric
sources judged at each look (rollout_metrics.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy import comparison, rollout_metrics
from pytest_pyramid.deploy.analysis import AnalysisRun, Limits, Measurement, parse_lines
from pytest_pyramid.deploy.config import build_config
from pytest_pyramid.deploy.nonparametric import Settings
from pytest_pyramid.deploy.processes import Version
from pytest_pyramid.deploy.state import DeployState, Rollout, parse_state
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates import external
from pytest_pyramid.gates.sources import Metric, Reading, parse_metrics

if TYPE_CHECKING:
    from pathlib import Path

S, B, C = "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"


@pytest.mark.parametrize(
    ("baseline", "weight", "expected"),
    [
        (None, 25, {S: 75, C: 25}),
        (B, 5, {S: 90, B: 5, C: 5}),
        (B, 25, {S: 50, B: 25, C: 25}),
        (B, 50, {B: 50, C: 50}),  # stable keeps no share: left out (nginx refuses weight=0)
        (B, 75, {B: 25, C: 75}),  # above 50%: the baseline gets what the canary leaves
        (B, 100, {C: 100}),
    ],
)
def test_the_baseline_gets_the_canary_weight(
    baseline: str | None, weight: int, expected: dict[str, int]
) -> None:
    assert comparison.weights(S, baseline, C, weight) == expected


def _version(port: int) -> Version:
    return Version(commit="b" * 40, port=port, pid=99999, release="/r", log="/l", start_ticks=1)


@pytest.mark.parametrize(
    ("has_baseline", "weight", "mode", "expected"),
    [(True, 25, "step", True), (True, 100, "step", False), (True, 100, "bake", False),
     (False, 25, "step", False)],
)
def test_only_a_step_below_100_compares(
    has_baseline: bool, weight: int, mode: str, expected: bool
) -> None:
    rollout = Rollout(1, "c" * 40, "canary", _version(3),
                      baseline=_version(2) if has_baseline else None)
    assert comparison.compares(rollout, weight, mode) is expected


def _lines(addr: str, latencies: list[float], errors: int = 0) -> list[str]:
    lines = []
    for i, seconds in enumerate(latencies):
        status = 500 if i < errors else 200
        lines.append(f"1.0|{status}|{addr}|{status}|{seconds:.3f}|{seconds:.3f}\n")
    return lines


FAST = [0.001 + 0.001 * (i % 3) for i in range(400)]  # 1-3 ms, as nginx logs them
TAIL = [v + 0.4 if i % 10 == 0 else v for i, v in enumerate(FAST)]  # 10% +400 ms


@pytest.mark.parametrize(
    ("canary", "canary_errors", "n_baseline", "decision", "said", "spent"),
    [
        (FAST, 0, 400, "successful", "no worse", 1),
        (TAIL, 0, 400, "failed", "slow tail: 10.0% of canary requests", 1),
        (FAST, 0, 30, "inconclusive", "below min_samples 50", 0),
        # the threshold's own failure wins over a comparison that would not decide yet
        (FAST[:30], 15, 30, "failed", "error rate", 0),
    ],
)
def test_a_look_from_log_lines(
    canary: list[float], canary_errors: int, n_baseline: int, decision: str, said: str,
    spent: int,
) -> None:
    window = parse_lines([*_lines(C, canary, canary_errors), *_lines(B, FAST[:n_baseline]),
                          *_lines(S, FAST[:100])])
    run = AnalysisRun()
    measured = comparison.judged(window, C, B, S, Limits(), Settings(resolution=0.001), run)
    assert measured.result == decision, measured.reasons
    assert said in "; ".join(measured.reasons)
    assert run.looks == spent
    numbers = measured.as_dict()["comparison"]
    assert isinstance(numbers, dict)
    assert numbers["n_canary"] == len(canary)
    assert numbers["n_baseline"] == n_baseline
    line = comparison.describe(numbers)
    assert f"canary n={len(canary)}, baseline n={n_baseline}" in line
    if decision == "failed" and spent:
        assert "p=" in measured.reasons[0]
        assert "tail 10.0% vs" in line


def test_a_shift_below_the_logs_resolution_is_no_shift() -> None:
    """Millisecond latencies around a 2 ms median, the canary 1-4 ms against 1-3 ms: a 1 ms
    shift is all the log can show, and 10% of the median (0.2 ms) cannot be measured."""
    wider = [0.001 + 0.001 * (i % 4) for i in range(400)]
    window = parse_lines([*_lines(C, wider), *_lines(B, FAST)])
    exact = comparison.judged(window, C, B, S, Limits(), Settings(), AnalysisRun())
    assert exact.result == "failed"
    assert "slower: shift +1.0ms" in exact.reasons[0]
    coarse = comparison.judged(window, C, B, S, Limits(), Settings(resolution=0.001),
                               AnalysisRun())
    assert coarse.result == "successful", coarse.reasons


@pytest.mark.parametrize(
    ("table", "key", "said"),
    [
        ({"judge": "bayes"}, "deploy.judge", "expected one of threshold, nonparametric"),
        ({"judge": "nonparametric", "strategy": "blue-green"}, "deploy.judge",
         "compares at steps below 100%"),
        ({"judge": "nonparametric", "steps": [100]}, "deploy.judge", "has none"),
        ({"judge_alpha": 0}, "deploy.judge_alpha", "between 0 and 1"),
        ({"judge_alpha": 1}, "deploy.judge_alpha", "between 0 and 1"),
        ({"judge_max_shift": 1.0}, "deploy.judge_max_shift", "up to 1 (excluded)"),
        ({"judge_min_samples": 1}, "deploy.judge_min_samples", ">= 2"),
        ({"judge_looks": 0}, "deploy.judge_looks", ">= 1"),
    ],
)
def test_judge_settings_are_refused_by_name(
    table: dict[str, object], key: str, said: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config(table, source="pyproject.toml", root=tmp_path)
    assert caught.value.key == key
    assert said in str(caught.value)


def test_judge_settings_reach_the_judge(tmp_path: Path) -> None:
    config = build_config({"judge": "nonparametric", "judge_alpha": 0.02, "judge_looks": 4,
                           "judge_min_samples": 80, "judge_max_shift": 0.2},
                          source="pyproject.toml", root=tmp_path)
    chosen = comparison.settings(config)
    assert (chosen.alpha, chosen.looks, chosen.min_samples, chosen.max_shift) == (
        0.02, 4, 80, 0.2)
    assert chosen.resolution == comparison.LOG_RESOLUTION_S


def test_the_baseline_is_in_the_durable_record() -> None:
    """A resumed supervisor, `pyramid abort` and `pyramid stop` find the baseline there."""
    state = DeployState(stable=_version(1), rollout=Rollout(
        1, "c" * 40, "canary", _version(3), baseline=_version(2)))
    again = parse_state(state.as_dict())
    assert again.rollout is not None
    assert again.rollout.baseline == _version(2)
    assert ("baseline", _version(2)) in again.versions()
    assert state.rollout is not None
    broken = {**state.as_dict(), "rollout": {**state.rollout.as_dict(), "baseline": "x"}}
    with pytest.raises(ValueError, match=r"rollout\.baseline is not an object"):
        parse_state(broken)


# -- metric sources in rollout analysis (deploy/rollout_metrics.py) ----------------------------
ROLLOUT_METRIC = {"source": "file", "path": "/m/{version}.json", "threshold": ">= 0.02",
                  "rollout": True}


def _measured(result: str) -> Measurement:
    return Measurement(result, 100, 0.0, 0.01, ("access log",))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("log", "value", "required", "decision", "said"),
    [
        ("successful", 0.03, True, "successful", ""),
        ("successful", 0.01, True, "failed", "metric conversion = 0.01 breaks >= 0.02 (file)"),
        ("inconclusive", 0.01, True, "failed", "metric conversion = 0.01 breaks"),
        ("failed", 0.03, True, "failed", "access log"),
        ("successful", None, True, "inconclusive", "metric conversion: not evaluated (stale)"),
        ("successful", None, False, "successful", ""),  # required = false: only noted
        ("failed", None, True, "failed", "access log"),
    ],
)
def test_a_rollout_metric_is_judged_with_each_look(
    log: str, value: float | None, required: bool, decision: str, said: str
) -> None:
    (metric,) = parse_metrics({"conversion": {**ROLLOUT_METRIC, "required": required}},
                              "pyproject.toml")
    asked: list[str] = []

    def read(m: Metric, version: str) -> Reading:
        asked.append(version)
        return Reading(value, "" if value is not None else "stale")

    judged = rollout_metrics.judge(_measured(log), (metric,), "c" * 40, read)
    assert judged.result == decision
    assert said in "; ".join(judged.reasons)
    assert asked == ["c" * 40]  # {version} is the new version's commit
    record = judged.as_dict()["metrics"]
    assert isinstance(record, dict)
    assert record["conversion"]["value"] == value
    assert "conversion" in rollout_metrics.describe(record)


def test_rollout_metrics_reach_the_deploy_and_leave_the_verdict_gates(tmp_path: Path) -> None:
    table = {"conversion": ROLLOUT_METRIC, "tickets": {**ROLLOUT_METRIC, "rollout": False}}
    config = build_config({}, source="pyproject.toml", root=tmp_path, metrics=table)
    assert [m.name for m in rollout_metrics.load(config)] == ["conversion"]
    gates = external.evaluate(parse_metrics(table, "pyproject.toml"), tmp_path)
    assert [g.id for g in gates] == ["external.tickets"]
    with pytest.raises(ConfigError) as caught:
        build_config({}, source="pyproject.toml", root=tmp_path,
                     metrics={"conversion": {**ROLLOUT_METRIC, "threshold": "lots"}})
    assert caught.value.key == "metrics.conversion.threshold"
