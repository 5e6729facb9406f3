"""The stateful plugin: tier assignment at collection, report aggregation, the verdict."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.aggregate import Aggregator
from pytest_pyramid.budgets import budget_gates, missing_release_tiers, near_budget, pass_rate_gate
from pytest_pyramid.durations import format_duration
from pytest_pyramid.limits import LimitPlan, plan_limits
from pytest_pyramid.stash import RUN_KEY, TIER_KEY
from pytest_pyramid.summary import RunSummary, TierStats
from pytest_pyramid.tiers import PathRouter, TierAssignmentError, assign_tier

if TYPE_CHECKING:
    from collections.abc import Generator
    from pathlib import Path

    from pytest_pyramid.config import Settings
    from pytest_pyramid.gates.base import GateResult
    from pytest_pyramid.gitinfo import GitInfo

TIMEOUT_PREFIX = "Timeout (>"


def _killed_after(message: str) -> float | None:
    """The limit in pytest-timeout's ``Timeout (>0.5s) from pytest-timeout.``"""
    start = message.find(TIMEOUT_PREFIX) + len(TIMEOUT_PREFIX)
    end = message.find("s)", start)
    try:
        return float(message[start:end])
    except ValueError:
        return None


class CollectionFacts:
    """What the collecting process saw; a worker ships it to the controller as a dict."""

    def __init__(self) -> None:
        self.collected: Counter[str] = Counter()
        self.deselected: Counter[str] = Counter()
        self.filtered: Counter[str] = Counter()
        self.paths_not_collected: Counter[str] = Counter()

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {
            "collected": dict(self.collected),
            "deselected": dict(self.deselected),
            "filtered": dict(self.filtered),
            "paths_not_collected": dict(self.paths_not_collected),
        }

    def apply(self, data: dict[str, dict[str, int]], tiers: dict[str, TierStats]) -> None:
        for tier, count in data.get("collected", {}).items():
            _stats(tiers, tier).collected = count
        for tier, count in data.get("deselected", {}).items():
            _stats(tiers, tier).deselected = count
        for tier, count in data.get("paths_not_collected", {}).items():
            _stats(tiers, tier).paths_not_collected = count


def _stats(tiers: dict[str, TierStats], name: str) -> TierStats:
    return tiers.setdefault(name, TierStats(name))


class PyramidSession:
    """Registered only when the plugin is active, on workers and on the controller alike."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        selected: tuple[str, ...],
        *,
        verdict_path: Path,
        explain: bool,
        fail_fast: bool,
    ) -> None:
        self.config = config
        self.settings = settings
        self.selected = frozenset(selected)
        self.verdict_path = verdict_path
        self.explain = explain
        self.fail_fast = fail_fast
        self.is_worker = hasattr(config, "workerinput")
        #: True on an xdist controller: collection facts then arrive from the workers
        self.distributed = (  # xdist's own rule (a --dist in addopts alone is not enough)
            not self.is_worker
            and getattr(config.option, "dist", "no") != "no"
            and bool(getattr(config.option, "tx", None))
            and not config.option.collectonly
        )
        self.rootpath = config.rootpath
        self.router = PathRouter({name: spec.paths for name, spec in settings.tiers.items()})
        self.tier_names = frozenset(settings.tiers)
        self.order = {name: spec.order for name, spec in settings.tiers.items()}
        self.facts = CollectionFacts()
        self._relpaths: dict[Path, str | None] = {}
        self._own_deselection = False
        #: nodeid -> tier of this process's collection (reports carry only the nodeid)
        self.tier_of: dict[str, str] = {}
        self.failed_tiers: set[str] = set()
        self.stopped_after: str | None = None
        self.started = time.time()
        self.workers: set[str] = set()
        self.crashes: list[str] = []
        self.collection_errors = 0
        run = RunSummary(
            tiers={
                name: TierStats(name, selected=name in self.selected, budget_s=spec.budget)
                for name, spec in settings.tiers.items()
            },
            selected_tiers=tuple(t for t in settings.tiers if t in self.selected),
            rootdir=str(config.rootpath),
        )
        config.stash[RUN_KEY] = run
        self.aggregator = Aggregator(run)
        self.verdict: dict[str, Any] | None = None
        self.near_budget: list[str] = []
        #: lines for the terminal summary about how the run was judged
        self.notes: list[str] = []
        #: read once at session start (the placeholder verdict) and reused at its end
        self.git: GitInfo | None = None
        #: on an xdist controller: tiers learned from reports, for xdist's own crash reports
        self.learned_tiers: dict[str, str] = {}
        self.narrowing: list[str] = []
        self._parent_marker_names: dict[pytest.Item | pytest.Collector, frozenset[str]] = {}
        self.limits = self._install_limits(config)
        self._timeout_marks = {
            tier: pytest.mark.timeout(limit) for tier, limit in self.limits.marks.items()
        }

    def _install_limits(self, config: pytest.Config) -> LimitPlan:
        """Runs in ``pytest_configure`` before pytest-timeout's, which reads its default."""
        configured = {name: spec.test_timeout for name, spec in self.settings.tiers.items()}
        if not config.pluginmanager.hasplugin("timeout"):
            if any(configured.values()):
                self.notes.append("per-test limits were not enforced: pytest-timeout is not active")
            return LimitPlan(None, {}, dict.fromkeys(configured), enforced=False)
        plan = plan_limits(
            configured,
            [tier for tier in configured if tier in self.selected],
            user_timeout=config.getoption("timeout", None),
        )
        if plan.default is not None:
            config.option.timeout = plan.default  # what --timeout would set, on every process
        return plan

    # -- collection -------------------------------------------------------------------------

    def _relpath(self, path: Path) -> str | None:
        try:
            return self._relpaths[path]
        except KeyError:
            pass
        try:
            rel: str | None = path.relative_to(self.rootpath).as_posix()
        except ValueError:
            rel = None
        self._relpaths[path] = rel
        return rel

    @pytest.hookimpl
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        """Skip importing modules that can only hold tests of unselected tiers."""
        if len(self.selected) == len(self.tier_names):
            return None
        rel = self._relpath(collection_path)
        if not rel:
            return None
        if collection_path.is_dir():
            tiers = self.router.tiers_under(rel)
            if tiers is None or tiers & self.selected:
                return None
            if any(collection_path.rglob("*.py")):
                for tier in tiers:
                    self.facts.paths_not_collected[tier] += 1
            return True
        file_tier = self.router.tier_for(rel)
        if file_tier is None or file_tier in self.selected or collection_path.suffix != ".py":
            return None
        self.facts.paths_not_collected[file_tier] += 1
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        problems: list[str] = []
        tier_set = self.tier_names
        settings = self.settings
        default_tier, strict = settings.default_tier, settings.strict
        tier_marks = {name: getattr(pytest.mark, name) for name in tier_set}
        marker_names = self._marker_names
        path_tier_for = self.router.tier_for
        timeout_marks = self._timeout_marks
        tier_of, collected = self.tier_of, self.facts.collected
        # one list per tier, in pyramid order: concatenated they are the stable sort by tier
        buckets: dict[str, list[pytest.Item]] = {
            name: [] for name in sorted(tier_set, key=self.order.__getitem__)
        }
        for item in items:
            nodeid = item.nodeid  # a property: read once
            names = marker_names(item)
            marker_tiers = names & tier_set
            # location[0] is pytest's own (cached) path of the item relative to the rootdir
            rel = item.location[0].replace("\\", "/")
            path_tier = path_tier_for(rel) if rel else None
            if marker_tiers or (path_tier is None and strict):
                try:
                    tier = assign_tier(
                        marker_tiers, path_tier, default_tier, strict=strict, nodeid=nodeid
                    )
                except TierAssignmentError as exc:
                    problems.append(str(exc))
                    continue
            else:  # the common case, without a call: assign_tier's rule for no marker
                tier = path_tier if path_tier is not None else default_tier
            item.stash[TIER_KEY] = tier
            tier_of[nodeid] = tier
            collected[tier] += 1
            buckets[tier].append(item)
            if not marker_tiers:  # a path-mapped test answers to -m <tier> like a marked one
                item.add_marker(tier_marks[tier])
            if tier in timeout_marks and "timeout" not in names:  # the user's own mark wins
                item.add_marker(timeout_marks[tier])
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise pytest.UsageError(f"pytest-pyramid: tier assignment failed:\n  {shown}{more}")

        selected = self.selected
        kept = [item for tier, bucket in buckets.items() if tier in selected for item in bucket]
        dropped = [
            item for tier, bucket in buckets.items() if tier not in selected for item in bucket
        ]
        if dropped:
            for tier, bucket in buckets.items():
                if tier not in selected and bucket:
                    self.facts.deselected[tier] += len(bucket)
            self._own_deselection = True
            try:
                config.hook.pytest_deselected(items=dropped)
            finally:
                self._own_deselection = False
        items[:] = kept

    def _marker_names(self, node: pytest.Item | pytest.Collector) -> frozenset[str]:
        """Names of the markers on a node and its parents (what ``iter_markers`` walks),
        cached per parent: thousands of tests share a few modules and classes."""
        parent = node.parent
        inherited: frozenset[str] = frozenset()
        if parent is not None:
            cache = self._parent_marker_names
            cached = cache.get(parent)
            inherited = cache[parent] = (
                cached if cached is not None else self._marker_names(parent)
            )
        if not node.own_markers:
            return inherited
        return inherited.union(mark.name for mark in node.own_markers)

    @pytest.hookimpl
    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        if self._own_deselection:
            return
        for item in items:
            tier = item.stash.get(TIER_KEY, None)
            if tier is not None:
                self.facts.filtered[tier] += 1

    # -- running ----------------------------------------------------------------------------

    def _note_timeout(self, report: pytest.TestReport, tier: str) -> None:
        """Name the tier and its limit in a pytest-timeout failure (failures only: cheap)."""
        crash = getattr(report.longrepr, "reprcrash", None)
        message = getattr(crash, "message", "")
        if crash is None or TIMEOUT_PREFIX not in message or "pytest-timeout" not in message:
            return
        limit = self.limits.effective.get(tier)
        if limit is None or _killed_after(message) != limit:
            return  # the test's own timeout mark killed it, and pytest-timeout said so
        if self.limits.user_override:
            note = f"--timeout limit {format_duration(limit)}"
        else:
            note = f"tier {tier!r} per-test limit {format_duration(limit)}"
        crash.message = f"{message} [pyramid: {note} exceeded]"
        report.sections.append(("pyramid", f"killed by the {note} (pytest-timeout)"))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Runs before xdist ships the report and before junitxml/terminal read it.
        nodeid = report.nodeid  # a property on pytest 9: read it once
        failed = report.outcome == "failed"
        tier = self.tier_of.get(nodeid)
        if tier is None:  # on an xdist controller the worker named the tier
            tier = getattr(report, "pyramid_tier", None)
            if tier is None:
                # xdist reports a crashed worker's test itself, without the worker's tier
                tier = self.learned_tiers.get(nodeid)
                if tier is None:
                    return
            else:
                self.learned_tiers[nodeid] = tier
            node = getattr(report, "node", None)
            if node is not None:
                self.workers.add(str(node.gateway.id))
        else:
            if failed:
                self._note_timeout(report, tier)
            if self.is_worker:
                report.pyramid_tier = tier  # type: ignore[attr-defined]  # travels with xdist
                return
        if failed:
            self.failed_tiers.add(tier)
        self.aggregator.add_report(report, tier, nodeid)

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.is_worker:
            self.collection_errors += 1

    # -- session end ------------------------------------------------------------------------

    def _writes_verdict(self) -> bool:
        option = self.config.option
        return not (self.is_worker or option.collectonly or option.setuponly or option.setupplan)

    @pytest.hookimpl
    def pytest_report_header(self) -> list[str]:
        from pytest_pyramid.terminal import header_lines

        return header_lines([t for t in self.settings.tiers if t in self.selected], self.limits)

    @pytest.hookimpl
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from pytest_pyramid.filters import narrowing_reasons

        # now, before --lf forgets the failures that pass again during the run
        self.narrowing = narrowing_reasons(self.config)
        if self._writes_verdict():
            from pytest_pyramid.verdict_writer import write_placeholder

            write_placeholder(self)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            workeroutput = getattr(self.config, "workeroutput", None)
            if workeroutput is not None:
                workeroutput["pyramid_collection"] = self.facts.to_dict()
            return
        if not self._writes_verdict():
            return  # nothing ran: keep the last real verdict instead of overwriting it
        from pytest_pyramid.verdict_writer import finish_session

        finish_session(self, session, int(exitstatus))

    def apply_collection(self, data: dict[str, dict[str, int]]) -> None:
        self.facts.apply(data, self.aggregator.run.tiers)
        reasons = self.aggregator.run.filter_reasons
        reasons.extend(self.narrowing)
        filtered = sum(data.get("filtered", {}).values())
        if filtered and not reasons:
            reasons.append(f"{filtered} test(s) deselected by another plugin")

    def core_gates(self, run: RunSummary, quarantined: frozenset[str]) -> list[GateResult]:
        """Pass rate and budgets; the gate engine and other plugins add theirs by hook."""
        self.near_budget = near_budget(run, self.settings.tiers)
        return [pass_rate_gate(run, quarantined), *budget_gates(run, self.settings.tiers)]

    def missing(self, run: RunSummary) -> list[str]:
        reasons = []
        if self.stopped_after:
            reasons.append(f"stopped after tier {self.stopped_after} failed (--tier-fail-fast)")
        reasons.extend(missing_release_tiers(run, self.settings.release_tiers))
        reasons.extend(run.filter_reasons)
        return reasons

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or self.verdict is None:
            return
        from pytest_pyramid.terminal import WIDTH, render

        tr = terminalreporter
        tr.section("pyramid", sep="=")
        if self.verdict["run"]["pytest_exit"] == pytest.ExitCode.USAGE_ERROR:
            tr.write_line(f"usage error: verdict INCOMPLETE written to {self.verdict_path}")
            return
        width = max(WIDTH, getattr(getattr(tr, "_tw", None), "fullwidth", WIDTH))
        for line in render(self.verdict, explain=self.explain, width=width):
            decision = self.verdict["decision"]
            markup = {}
            if line.startswith("decision:"):
                markup = {"green": True} if decision == "ready" else {"red": True, "bold": True}
                if decision == "needs_approval":
                    markup = {"yellow": True, "bold": True}
            elif line.startswith("FAIL"):
                markup = {"red": True}
            tr.write_line(line, **markup)
        for warning in self.near_budget:
            tr.write_line(f"warning: {warning}", yellow=True)
        for note in self.notes:
            tr.write_line(note, yellow=True)
        tr.write_line(f"verdict written to {self.verdict_path}")


def python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


class SerialFailFast:
    """``--tier-fail-fast`` without xdist: stop at the first tier boundary after a failure."""

    def __init__(self, owner: PyramidSession) -> None:
        self.owner = owner

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        result = yield
        tier = item.stash.get(TIER_KEY, None)
        boundary = nextitem is not None and nextitem.stash.get(TIER_KEY, None) != tier
        if boundary and tier in self.owner.failed_tiers:
            self.owner.stopped_after = tier
            # shouldfail (as -x does) ends the run as failed, not as interrupted
            item.session.shouldfail = f"tier {tier} failed; later tiers not run (--tier-fail-fast)"

        return result
