"""Judging the ``external.<name>`` gates: each metric's one number against its threshold.

``{version}`` in a query, path or argument is the commit the run judged (``git rev-parse
HEAD``; no commit: the metric is not evaluated). A metric that gives no number is
``not_evaluated`` with the source's reason; ``required = false`` turns that into a warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from pytest_pyramid.results import GateResult, Level, OnMissing

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from pytest_pyramid.gates.sources import Metric, Reading


def commit_of(rootdir: Path) -> str | None:
    from pytest_pyramid.run._git import run_git

    try:
        done = run_git(rootdir, "rev-parse", "--verify", "-q", "HEAD", timeout=30)
    except (OSError, TimeoutError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


def evaluate(metrics: Iterable[Metric], rootdir: Path) -> list[GateResult]:
    from pytest_pyramid.gates.sources import Reading, read

    version = commit_of(rootdir)
    results = []
    for metric in metrics:
        if metric.rollout:  # judged by the deploy at each look (deploy/rollout_metrics.py)
            continue
        if version is None:
            reading = Reading(None, "no commit to substitute for {version} (not a git checkout)")
        else:
            reading = read(metric, version)
        results.append(judge(metric, reading))
    return results


def judge(metric: Metric, reading: Reading) -> GateResult:
    level = cast("Level", metric.level)  # parse_metrics accepts block, approve or warn only
    limit = metric.threshold.text
    on_missing: OnMissing = "fail" if metric.required else "warn"
    if reading.value is None:
        return GateResult(metric.gate_id, level, "not_evaluated", None, limit,
                          reading.reason, on_missing=on_missing,
                          details={"source": metric.source})
    held = metric.threshold.holds(reading.value)
    age = "" if reading.age_s is None else f" ({reading.age_s:.0f}s old)"
    message = (f"{metric.source}: {reading.value:g}{age} "
               f"{'meets' if held else 'does not meet'} {limit}")
    return GateResult(metric.gate_id, level, "pass" if held else "fail", reading.value, limit,
                      message, on_missing=on_missing, details={"source": metric.source})
