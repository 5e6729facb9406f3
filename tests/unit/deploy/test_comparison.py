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
from pytest_pyramid.deploy.strategies import compared_phase, planned_looks
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
        # above 50% no share can match the canary's: the baseline gets none, is not compared
        (B, 75, {S: 25, C: 75}),
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
    [(True, 25, "step", True), (True, 50, "step", True), (True, 51, "step", False),
     (True, 75, "step", False), (True, 100, "step", False), (True, 100, "bake", False),
     (False, 25, "step", False)],
)
def test_only_a_step_of_at_most_50_compares(
    has_baseline: bool, weight: int, mode: str, expected: bool
) -> None:
    rollout = Rollout(1, "c" * 40, "canary", _version(3),
                      baseline=_version(2) if has_baseline else None)
    assert comparison.compares(rollout, weight, mode) is expected


def _lines(addr: str, latencies: list[float], errors: int = 0, error: int = 500) -> list[str]:
    lines = []
    for i, seconds in enumerate(latencies):
        status = error if i < errors else 200
        lines.append(f"1.0|{status}|{addr}|{status}|{seconds:.3f}|{seconds:.3f}|2|2|GET|/\n")
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


def test_a_canarys_4xx_weigh_as_failures_against_the_baseline() -> None:
    """Stable's own 4xx share hides no jump from the threshold (10% of its requests: the
    clients'), but the baseline, started with the canary, answered none: the canary's 10%
    404s are compared as failures and fail (hostile case 370 through judge = "nonparametric")."""
    window = parse_lines([*_lines(C, FAST, 40, error=404), *_lines(B, FAST),
                          *_lines(S, FAST[:100], 10, error=404)])
    measured = comparison.judged(window, C, B, S, Limits(), Settings(resolution=0.001),
                                 AnalysisRun())
    assert measured.result == "failed", measured.reasons
    assert "errors" in "; ".join(measured.reasons)
    same = parse_lines([*_lines(C, FAST, 40, error=404), *_lines(B, FAST, 40, error=404),
                        *_lines(S, FAST[:100], 10, error=404)])
    alike = comparison.judged(same, C, B, S, Limits(), Settings(resolution=0.001),
                              AnalysisRun())
    assert alike.result == "successful", alike.reasons


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
         "compares at steps of at most 50%"),
        ({"judge": "nonparametric", "steps": [100]}, "deploy.judge", "has none"),
        ({"judge": "nonparametric", "steps": [75, 100]}, "deploy.judge",
         "steps [75, 100]) has none"),
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
                           "judge_min_samples": 80, "judge_max_shift": 0.2,
                           "measurements": 1},
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

    def read(m: Metric, subject: rollout_metrics.Subject) -> Reading:
        asked.append(subject.version)
        return Reading(value, "" if value is not None else "stale")

    judged = rollout_metrics.judge(_measured(log), (metric,), rollout_metrics.Subject("c" * 40),
                                   read)
    assert judged.result == decision
    assert said in "; ".join(judged.reasons)
    assert asked == ["c" * 40]  # {version} is the new version's commit
    record = judged.as_dict()["metrics"]
    assert isinstance(record, dict)
    assert record["conversion"]["value"] == value
    assert "conversion" in rollout_metrics.describe(record)


def test_a_metric_compared_with_the_baseline_needs_the_nonparametric_judge(
    tmp_path: Path,
) -> None:
    compared = {"source": "file", "path": "/m/{instance}.json", "compare": "baseline",
                "change": ">= -0.1", "rollout": True}
    with pytest.raises(ConfigError) as caught:
        build_config({}, source="pyproject.toml", root=tmp_path, metrics={"conv": compared})
    assert caught.value.key == "metrics.conv.compare"
    assert "fresh baseline of judge = 'nonparametric'; this deploy's judge is 'threshold'" in \
        str(caught.value)
    config = build_config({"judge": "nonparametric"}, source="pyproject.toml", root=tmp_path,
                          metrics={"conv": compared})
    assert [m.compare for m in rollout_metrics.load(config)] == ["baseline"]


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


# -- the look counter is durable: a resumed rollout goes on counting ----------------------------
def test_a_look_is_counted_and_written_down_before_its_tests_run() -> None:
    """A run carrying 2 looks from the durable record (a resumed supervisor) spends look 3's
    share, and the rollout's hook sees the count before the look's numbers exist."""
    chosen = Settings(resolution=0.001, looks=5)
    run = AnalysisRun(looks=2, alpha_spent=chosen.look_alpha(1) + chosen.look_alpha(2))
    seen: list[tuple[int, float]] = []
    run.on_look = lambda: seen.append((run.looks, run.alpha_spent))
    window = parse_lines([*_lines(C, FAST), *_lines(B, FAST)])
    measured = comparison.judged(window, C, B, S, Limits(), chosen, run)
    numbers = measured.as_dict()["comparison"]
    assert isinstance(numbers, dict)
    assert numbers["look"] == 3
    assert numbers["alpha_latency"] == chosen.alpha_for("latency", 3)
    assert [n for n, _ in seen] == [3]
    assert seen[0][1] == pytest.approx(chosen.alpha * 9 / 25)  # k**2 / K**2 of alpha
    assert numbers["alpha_spent"] == pytest.approx(chosen.alpha * 9 / 25)
    shown = comparison.describe({**numbers, "weights": {"canary": 25, "baseline": 25,
                                                        "stable": 50}})
    assert shown.endswith("(rollout spent 0.0036); weights canary 25% baseline 25% stable 50%")
    short = parse_lines([*_lines(C, FAST[:10]), *_lines(B, FAST)])
    comparison.judged(short, C, B, S, Limits(), chosen, run)
    assert len(seen) == 1  # below min_samples: no look spent, nothing written


@pytest.mark.parametrize(("canary", "decision"), [(FAST, "inconclusive"), (TAIL, "inconclusive")])
def test_a_look_past_the_plan_neither_passes_nor_rolls_back_on_statistics(
    canary: list[float], decision: str
) -> None:
    chosen = Settings(resolution=0.001, looks=3)
    window = parse_lines([*_lines(C, canary), *_lines(B, FAST)])
    measured = comparison.judged(window, C, B, S, Limits(), chosen, AnalysisRun(looks=3))
    assert measured.result == decision
    assert "the 3 planned look(s) have spent alpha 0.01" in measured.reasons[0]
    numbers = measured.as_dict()["comparison"]
    assert isinstance(numbers, dict)
    assert (numbers["look"], numbers["alpha_latency"]) == (4, 0.0)


def test_the_looks_spent_are_in_the_durable_record() -> None:
    rollout = Rollout(1, "c" * 40, "canary", _version(3), baseline=_version(2), looks=3,
                      alpha_spent=0.0036)
    again = parse_state(DeployState(stable=_version(1), rollout=rollout).as_dict()).rollout
    assert again is not None
    assert (again.looks, again.alpha_spent) == (3, 0.0036)
    old = {k: v for k, v in rollout.as_dict().items() if k not in ("looks", "alpha_spent")}
    assert Rollout.from_dict(old).looks == 0  # a state written before the counter: none spent
    for key, value, said in (("looks", -1, "rollout.looks = -1 is not a count"),
                             ("looks", "3", "rollout.looks = '3' is not a count"),
                             ("alpha_spent", 2, "rollout.alpha_spent = 2 is not a share")):
        with pytest.raises(ValueError, match=said):
            Rollout.from_dict({**rollout.as_dict(), key: value})


class _Deployer:
    """What past_equal_weights uses of the rollout's Deployer, writing down what it did."""

    def __init__(self, tmp_path: Path) -> None:
        self.config = build_config({"judge": "nonparametric"}, source="pyproject.toml",
                                   root=tmp_path)
        self.lines: list[str] = []
        self.stopped: list[str] = []
        self.saved = 0

    def out(self, line: str) -> None:
        self.lines.append(line)

    def stop_after_drain(self, version: Version, role: str) -> None:
        self.stopped.append(role)

    def save(self, state: DeployState) -> None:
        self.saved += 1


@pytest.mark.parametrize(("weight", "stopped"), [(25, False), (50, False), (75, True)])
def test_above_50_the_comparison_ends_and_the_baseline_is_stopped(
    weight: int, stopped: bool, tmp_path: Path
) -> None:
    rollout = Rollout(1, "c" * 40, "canary", _version(3), baseline=_version(2), looks=4,
                      alpha_spent=0.0016)
    state = DeployState(stable=_version(1), rollout=rollout)
    deployer = _Deployer(tmp_path)
    comparison.past_equal_weights(deployer, state, rollout,  # type: ignore[arg-type]
                                  weight, "step 2/3")
    assert (rollout.baseline is None) is stopped
    assert deployer.stopped == (["the baseline"] if stopped else [])
    assert deployer.saved == (1 if stopped else 0)  # the record no longer names it
    if stopped:
        assert deployer.lines[0].startswith(
            "[judge] step 2/3 75%: above 50% the baseline cannot get the canary's weight, so "
            "the comparison ends here (4 look(s), alpha spent 0.0016)")


@pytest.mark.parametrize(
    ("table", "looks_next", "said"),
    [
        ({"judge_looks": 10}, 5, "the comparison goes on at look 5 (6 left)"),
        # fewer planned looks: more alpha each, and what was spent stays within it
        ({"judge_looks": 5, "measurements": 1}, 5, "the comparison goes on at look 5 (1 left)"),
        # more planned looks (or less alpha): the looks already spent more than it plans
        ({"judge_looks": 20}, 21, "more than this configuration plans for them"),
        ({"judge_looks": 10, "judge_alpha": 0.005}, 11, "none is left"),
    ],
)
def test_a_resumed_rollout_goes_on_with_the_alpha_left(
    table: dict[str, object], looks_next: int, said: str, tmp_path: Path
) -> None:
    """4 looks of a 10-look plan spent 0.0016 of alpha 0.01 before the supervisor died."""
    rollout = Rollout(1, "c" * 40, "canary", _version(3), baseline=_version(2), looks=4,
                      alpha_spent=0.01 * 16 / 100)
    state = DeployState(stable=_version(1), rollout=rollout)
    deployer = _Deployer(tmp_path)
    deployer.config = build_config({"judge": "nonparametric", **table},
                                   source="pyproject.toml", root=tmp_path)
    run = AnalysisRun()
    comparison.carry_looks(deployer, state, rollout, run)  # type: ignore[arg-type]
    assert run.looks + 1 == looks_next
    assert run.alpha_spent == pytest.approx(0.0016)
    assert said in deployer.lines[0]
    run.spend_look(0.001)
    assert (rollout.looks, deployer.saved) == (run.looks, 1)  # written down at once


@pytest.mark.parametrize(
    ("strategy", "steps", "measurements", "looks"),
    [
        ("canary", (5, 25, 50, 100), 3, 9),  # the defaults: 5, 25 and 50% compared
        ("canary", (50, 100), 1, 1),
        ("canary", (1, 2, 3, 50, 51, 100), 2, 8),  # 51% is above the equal weights
        ("canary", (75, 100), 3, 0),
        ("blue-green", (5, 25, 50, 100), 3, 0),  # one switch to 100%: nothing compared
    ],
)
def test_the_planned_looks_are_the_compared_steps_times_their_measurements(
    strategy: str, steps: tuple[int, ...], measurements: int, looks: int
) -> None:
    assert planned_looks(strategy, steps, measurements) == looks


@pytest.mark.parametrize(("weight", "mode", "compared"), [
    (5, "step", True), (50, "step", True), (51, "step", False), (100, "step", False),
    (0, "step", False), (25, "bake", False),
])
def test_the_rollout_and_the_plan_compare_the_same_phases(
    weight: int, mode: str, compared: bool
) -> None:
    """``compares`` (the rollout's question at each phase) is ``compared_phase`` with a
    baseline, and without one nothing is compared: one rule, counted by ``planned_looks``."""
    with_baseline = Rollout(1, "c" * 40, "canary", _version(3), baseline=_version(2))
    without = Rollout(1, "c" * 40, "canary", _version(3))
    assert compared_phase(weight, mode) is compared
    assert comparison.compares(with_baseline, weight, mode) is compared
    assert comparison.compares(without, weight, mode) is False


@pytest.mark.parametrize(("table", "shown"), [
    ({"judge": "nonparametric"}, "looks: 3 of 10, alpha spent 0.0009 of 0.01"),
    ({"judge": "nonparametric", "judge_looks": 20, "judge_alpha": 0.05},
     "looks: 3 of 20, alpha spent 0.0009 of 0.05"),
    ({}, None),  # the threshold judge spends no looks
])
def test_what_the_judge_spent_is_shown_from_the_durable_record(
    table: dict[str, object], shown: str | None, tmp_path: Path
) -> None:
    config = build_config(table, source="pyproject.toml", root=tmp_path)
    rollout = Rollout(1, "c" * 40, "canary", _version(3), looks=3, alpha_spent=0.0009)
    numbers = comparison.spent(rollout, config)
    assert (numbers and comparison.describe_spent(numbers)) == shown


def test_the_rollout_says_its_plan_of_looks_where_the_comparison_starts(tmp_path: Path) -> None:
    config = build_config({"judge": "nonparametric", "steps": [10, 25, 50, 75, 100],
                           "measurements": 2, "judge_looks": 8},
                          source="pyproject.toml", root=tmp_path)
    assert comparison.plan_line(config) == (
        "[judge] the plan compares at 10%, 25%, 50%: at least 6 look(s) (2 per step) of the 8 "
        "judge_looks shares alpha 0.01 over")


@pytest.mark.parametrize(("recorded", "read"), [
    ({"ending": "rolled_back", "ending_cause": "change", "ending_reason": "error rate 100%"},
     ("rolled_back", "change", "error rate 100%")),
    ({"ending": "aborted", "ending_cause": "blind", "ending_reason": "blind"},
     ("aborted", "blind", "blind")),
    ({}, ("", "", "")),  # a state written before the decision was recorded
    # a decision this tool never writes is none: the resumer settles it as interrupted
    ({"ending": "succeeded", "ending_cause": "change", "ending_reason": "x"}, ("", "", "")),
    ({"ending": "rolled_back", "ending_cause": "a hunch", "ending_reason": "x"}, ("", "", "")),
    ({"ending": "rolled_back", "ending_cause": None, "ending_reason": "x"}, ("", "", "")),
])
def test_a_rollbacks_decision_is_in_the_durable_record(
    recorded: dict[str, object], read: tuple[str, str, str]
) -> None:
    """Hostile case 326 a: written as the rollout enters rolling_back, before the drain."""
    rollout = Rollout(1, "c" * 40, "canary", _version(3), status="rolling_back")
    again = Rollout.from_dict({**rollout.as_dict(), **recorded})
    assert (again.ending, again.ending_cause, again.ending_reason) == read
    kept = parse_state(DeployState(stable=_version(1), rollout=again).as_dict()).rollout
    assert kept == again
