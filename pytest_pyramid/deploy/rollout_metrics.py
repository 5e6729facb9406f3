"""Metric sources in rollout analysis (issue 23 §3): ``[tool.pyramid.metrics.<name>]`` tables
with ``rollout = true`` are read at every look of a step or the bake, with ``{version}`` = the
new version's commit, and judged by their threshold beside the access log's figures.

- a value that breaks its threshold fails the look, naming the metric (a rollback, as any
  failed measurement);
- no usable number (empty, several series, NaN, stale, an error, a time-out: the source's
  ``Reading`` says why) makes the look inconclusive when the metric is ``required`` (more data,
  never a pass), and is only noted otherwise;
- a look passes only when the access log's analysis passes and every required metric holds.

The same parser and the same readers as the verdict gates (gates/sources): one definition.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pytest_pyramid.deploy.analysis import Measurement
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.gates.sources import Metric, Reading


def load(config: DeployConfig) -> tuple[Metric, ...]:
    """The rollout's metrics (the deploy's config already refused a bad table)."""
    if not config.metrics:
        return ()
    from pytest_pyramid.gates.sources import parse_metrics

    return tuple(m for m in parse_metrics(dict(config.metrics), config.source) if m.rollout)


def judge(
    measured: Measurement, metrics: Sequence[Metric], version: str,
    read: Callable[[Metric, str], Reading] | None = None,
) -> Measurement:
    """``measured`` with every metric's reading judged into it (recorded under ``metrics``)."""
    if not metrics:
        return measured
    if read is None:
        from pytest_pyramid.gates.sources import read as read_source

        read = read_source
    breaches: list[str] = []
    missing: list[str] = []
    records: dict[str, object] = {}
    for metric in metrics:
        reading = read(metric, version)
        limit = metric.threshold.text
        if reading.value is None:
            status = "not_evaluated"
            if metric.required:
                missing.append(f"metric {metric.name}: not evaluated ({reading.reason})")
        elif metric.threshold.holds(reading.value):
            status = "pass"
        else:
            status = "fail"
            breaches.append(f"metric {metric.name} = {reading.value:g} breaks {limit} "
                            f"({metric.source})")
        records[metric.name] = {"status": status, "value": reading.value, "threshold": limit,
                                "reason": reading.reason, "age_s": reading.age_s}
    if breaches:
        reasons = (*breaches, *(measured.reasons if measured.result == "failed" else ()))
        return replace(measured, result="failed", reasons=reasons, metrics=records)
    if measured.result == "failed":
        return replace(measured, metrics=records)
    if missing:
        reasons = (*missing, *(measured.reasons if measured.result == "inconclusive" else ()))
        return replace(measured, result="inconclusive", reasons=reasons, metrics=records)
    return replace(measured, metrics=records)


def describe(records: Mapping[str, object]) -> str:
    """One line: each metric's value against its threshold, or why it has none."""
    parts = []
    for name, record in records.items():
        assert isinstance(record, dict)
        value = record.get("value")
        shown = "n/a" if value is None else f"{value:g}"
        why = f" ({record.get('reason')})" if record.get("status") == "not_evaluated" else ""
        parts.append(f"{name} {shown} vs {record.get('threshold')}: {record.get('status')}{why}")
    return "; ".join(parts)
