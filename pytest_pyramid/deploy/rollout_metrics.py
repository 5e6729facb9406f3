"""Metric sources in rollout analysis (issue 23 §3): ``[tool.pyramid.metrics.<name>]`` tables
with ``rollout = true`` are read at every look of a step or the bake, with ``{version}`` = the
new version's commit, and judged by their threshold beside the access log's figures.

- a value that breaks its threshold fails the look, naming the metric (a rollback, as any
  failed measurement);
- no usable number (empty, several series, NaN, stale, an error, a time-out: the source's
  ``Reading`` says why) makes the look inconclusive when the metric is ``required`` (more data,
  never a pass), and is only noted otherwise;
- a look passes only when the access log's analysis passes and every required metric holds;
- ``compare = "baseline"``: at a look that compares (judge = "nonparametric", a step of at most
  50%), the metric is read twice, ``{version}``/``{instance}`` the canary's and then the fresh
  baseline's, and its relative change (canary - baseline) / |baseline| is held to ``change``;
  a missing number on either side is not evaluated as above; at the other looks it is noted
  as not compared (the comparison of latencies stops there too).

The same parser and the same readers as the verdict gates (gates/sources): one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pytest_pyramid.deploy.analysis import Measurement
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.gates.sources import Metric, Reading, Spawn


def load(config: DeployConfig) -> tuple[Metric, ...]:
    """The rollout's metrics (the deploy's config already refused a bad table)."""
    if not config.metrics:
        return ()
    from pytest_pyramid.gates.sources import parse_metrics

    return tuple(m for m in parse_metrics(dict(config.metrics), config.source) if m.rollout)


@dataclass(frozen=True)
class Subject:
    """A process a metric is read for: its release's commit (``{version}``) and its address
    (``{instance}``, host:port: how Prometheus labels a scrape target)."""

    version: str
    instance: str = ""
    #: its release folder: a relative command or file of a metric is the commit's, there
    root: str = ""


def judge(
    measured: Measurement, metrics: Sequence[Metric], canary: Subject,
    read: Callable[[Metric, Subject], Reading] | None = None, baseline: Subject | None = None,
) -> Measurement:
    """``measured`` with every metric's reading judged into it (recorded under ``metrics``).
    ``baseline``: the fresh baseline, when this look compares (a step of at most 50%); a
    ``compare = "baseline"`` metric is judged only then, and only noted otherwise."""
    if not metrics:
        return measured
    if read is None:
        read = reader(())
    breaches: list[str] = []
    missing: list[str] = []
    records: dict[str, object] = {}
    for metric in metrics:
        if metric.compare is None:
            status, record = _absolute(metric, read(metric, canary))
        else:
            status, record = _relative(metric, read, canary, baseline)
        records[metric.name] = record
        if status == "fail":
            breaches.append(str(record["breach"]))
        elif status == "not_evaluated" and metric.required:
            missing.append(f"metric {metric.name}: not evaluated ({record['reason']})")
    if breaches:
        reasons = (*breaches, *(measured.reasons if measured.result == "failed" else ()))
        return replace(measured, result="failed", reasons=reasons, metrics=records)
    if measured.result == "failed":
        return replace(measured, metrics=records)
    if missing:
        reasons = (*missing, *(measured.reasons if measured.result == "inconclusive" else ()))
        return replace(measured, result="inconclusive", reasons=reasons, metrics=records)
    return replace(measured, metrics=records)


#: the sources whose reading the commit directs on this host (a program, a path): read with
#: the versions' rights; prometheus asks a URL, with no rights of the host's to lend
_COMMITS_RIGHTS = ("command", "file")


def reader(pass_env: Sequence[str]) -> Callable[[Metric, Subject], Reading]:
    """How a rollout reads a metric: a ``command`` is the commit's code, so it runs as the
    versions run (hostile case 273): as the host's ``run_as`` with no supplementary group, and
    with the versions' allow-listed environment (``pass_env``: the names the commit's tracked
    table passes), never with the deploy's rights or environment. A ``file``'s path is the
    commit's word too: it is read with the account's rights (a file the versions could not
    read is no number, never a look at the deploy's own files)."""

    def read_as_versions(metric: Metric, subject: Subject) -> Reading:
        from pytest_pyramid.deploy.processes import StartError
        from pytest_pyramid.gates.sources import Reading, read

        try:
            spawn = (_as_versions(subject, pass_env) if metric.source in _COMMITS_RIGHTS
                     else None)
        except StartError as exc:
            return Reading(None, f"{metric.source}: {exc}")
        return read(metric, subject.version, instance=subject.instance, root=subject.root,
                    spawn=spawn)

    return read_as_versions


def _as_versions(subject: Subject, pass_env: Sequence[str]) -> Spawn:
    from pytest_pyramid.deploy.processes import version_env, versions_account
    from pytest_pyramid.gates.sources import Spawn

    account = versions_account()
    env = version_env(account, pass_env, {"PYRAMID_RELEASE": subject.root,
                                          "PYRAMID_COMMIT": subject.version})
    if account is None:
        return Spawn(env)
    return Spawn(env, account.uid, account.gid)


def _absolute(metric: Metric, reading: Reading) -> tuple[str, dict[str, object]]:
    """The new version's own figure against the metric's threshold."""
    limit = metric.threshold.text
    record: dict[str, object] = {"value": reading.value, "threshold": limit,
                                 "reason": reading.reason, "age_s": reading.age_s}
    if reading.value is None:
        status = "not_evaluated"
    elif metric.threshold.holds(reading.value):
        status = "pass"
    else:
        status = "fail"
        record["breach"] = (f"metric {metric.name} = {reading.value:g} breaks {limit} "
                            f"({metric.source})")
    return status, {"status": status, **record}


def _relative(
    metric: Metric, read: Callable[[Metric, Subject], Reading], canary: Subject,
    baseline: Subject | None,
) -> tuple[str, dict[str, object]]:
    """The canary's figure against the baseline's, as a relative change within ``change``:
    no number on either side, or a baseline of 0 under a canary that is not, is no change
    (not evaluated), never a pass. No statistics: one number per side, so the bound must lie
    beyond the metric's own noise."""
    limit = metric.threshold.text
    if baseline is None:
        return "not_compared", {
            "status": "not_compared", "change_bound": limit,
            "reason": "no baseline with the canary's weight at this look (above 50%, the bake, "
                      "or judge = threshold): judged at the compared steps only"}
    mine, theirs = read(metric, canary), read(metric, baseline)
    record: dict[str, object] = {
        "value": mine.value, "baseline": theirs.value, "change_bound": limit,
        "age_s": mine.age_s, "baseline_age_s": theirs.age_s}
    why = (f"canary: {mine.reason}" if mine.value is None else
           f"baseline: {theirs.reason}" if theirs.value is None else "")
    change = None if why else _change(mine.value, theirs.value)  # type: ignore[arg-type]
    if not why and change is None:
        why = f"the baseline's value is 0 and the canary's {mine.value:g}: no relative change"
    if why:
        return "not_evaluated", {"status": "not_evaluated", **record, "reason": why}
    assert change is not None
    record["change"] = change
    if metric.threshold.holds(change):
        return "pass", {"status": "pass", **record, "reason": ""}
    breach = (f"metric {metric.name}: canary {mine.value:g} vs baseline {theirs.value:g}, "
              f"change {change:+.1%} breaks {limit} ({metric.source})")
    return "fail", {"status": "fail", **record, "reason": "", "breach": breach}


def _change(canary: float, baseline: float) -> float | None:
    """(canary - baseline) / |baseline|; 0 when both are 0, None when only the baseline is."""
    if baseline == 0:
        return 0.0 if canary == 0 else None
    return (canary - baseline) / abs(baseline)


def describe(records: Mapping[str, object]) -> str:
    """One line: each metric's value against its threshold (or the baseline's, with the
    change against its bound), or why it has none."""
    parts = []
    for name, record in records.items():
        assert isinstance(record, dict)
        status = record.get("status")
        why = f" ({record.get('reason')})" if status in ("not_evaluated", "not_compared") else ""
        if "change_bound" not in record:
            parts.append(f"{name} {_number(record.get('value'))} vs {record.get('threshold')}: "
                         f"{status}{why}")
            continue
        change = record.get("change")
        moved = f", change {change:+.1%}" if isinstance(change, float) else ""
        parts.append(f"{name} {_number(record.get('value'))} vs baseline "
                     f"{_number(record.get('baseline'))}{moved} (bound {record['change_bound']}): "
                     f"{status}{why}")
    return "; ".join(parts)


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else "n/a"
