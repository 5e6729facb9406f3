"""The stateful plugin: tier assignment at collection, report aggregation, reconciliation
(each its own module, a part of :class:`PyramidSession`).

Registered only when the plugin is active, in every process (serial, xdist controller and
workers). At session end the controller (or the serial process) reconciles what was
collected with what reported, compares the test files on disk with those collected, and
leaves a :class:`~pytest_pyramid.run.summary.RunEnd` in the config stash for the verdict stage.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.aggregate import Aggregator
from pytest_pyramid.run.assignment import TierAssignment
from pytest_pyramid.run.collection import (
    CollectionFacts,
    JudgingConftests,
    facts_registry,
    judging_conftests,
    load_conftests,
)
from pytest_pyramid.run.facts import WORKER_OUTPUT_KEY, register_facts, ship
from pytest_pyramid.run.limits import LimitPlan, measured_limits, plan_limits
from pytest_pyramid.run.reconcile import Reconciliation
from pytest_pyramid.run.report_path import ReportPath
from pytest_pyramid.run.stash import CHILDREN_LOADED_KEY, RUN_END_KEY, RUN_KEY, TIER_KEY
from pytest_pyramid.run.summary import RunEnd, RunSummary, ShardEnd, TierStats
from pytest_pyramid.run.tiers import MarkerRuleError, MarkerRules, PathRouter

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.invocation import Invocation
    from pytest_pyramid.run.shard import ShardSpec

#: imported from here by other modules (closed world, services, xdist, the writer, merge)
__all__ = ["PyramidSession", "SerialFailFast", "facts_registry", "judging_conftests",
           "load_conftests"]


class PyramidSession(TierAssignment, ReportPath, Reconciliation):
    """Registered only when the plugin is active, on workers and on the controller alike.

    Its seams are modules of their own, each a part of this class over the same state:
    tier assignment (``assignment.py``), the per-report path (``report_path.py``) and
    reconciliation (``reconcile.py``); the facts records it fills are ``collection.py``."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        selected: tuple[str, ...],
        *,
        fail_fast: bool,
        project_dir: Path,
    ) -> None:
        self.config = config
        self.settings = settings
        self.selected = frozenset(selected)
        self.fail_fast = fail_fast
        self.project_dir = project_dir
        self.is_worker = hasattr(config, "workerinput")
        #: True on an xdist controller: collection facts then arrive from the workers
        self.distributed = not self.is_worker and _distributes(config)
        self.rootpath = config.rootpath
        self.router = PathRouter({name: spec.paths for name, spec in settings.tiers.items()})
        self.tier_names = frozenset(settings.tiers)
        self.order = {name: spec.order for name, spec in settings.tiers.items()}
        self.marker_rules = _marker_rules(settings, self.order)
        self._selected_by_marker = any(
            settings.tiers[name].markers for name in self.selected if name in settings.tiers
        )
        #: tests whose tier came from their own tier marker or the pytest_pyramid_tier hook
        #: (object ids): a later rule must not have moved them
        self._explicit: set[int] = set()
        self.tier_by_index = {chr(48 + spec.order): name for name, spec in settings.tiers.items()}
        self.facts = CollectionFacts()
        register_facts(facts_registry(config), "collection", self.facts)
        self.judging = JudgingConftests()
        register_facts(facts_registry(config), "judging_conftests", self.judging)
        from pytest_pyramid.run.plugins import PluginsSeen

        #: the plugins registered at the end of collection, in every process (workers ship)
        self.plugins_seen = PluginsSeen()
        register_facts(facts_registry(config), "plugins", self.plugins_seen)
        #: once collection ended: each plugin registered from then on is judged as it comes
        self._plugins_late = False
        self._relpaths: dict[Path, str | None] = {}
        self._own_deselection = False
        #: every node id pytest collected (from the collect reports, before any hook edits it)
        self._collected_ids: list[str] = []
        #: node ids deselected through pytest_deselected, by anyone
        self._deselected_ids: set[str] = set()
        #: nodeid -> tier of this process's collection (reports carry only the nodeid)
        self.tier_of: dict[str, str] = {}
        #: node ids that were to run, in order (serial: from the collection)
        self.to_run: list[str] = []
        #: on an xdist controller: the node ids the workers collected, in their order
        self.controller_ids: list[str] = []
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
        #: lines for the terminal summary about how the run was set up
        self.notes: list[str] = []
        #: on an xdist controller: tiers learned from reports, for xdist's own crash reports
        self.learned_tiers: dict[str, str] = {}
        self.narrowing: list[str] = []
        #: what reached the run and where from (run/invocation.py), read at session start
        self.invocation: Invocation | None = None
        #: exclusions the project's own tracked configuration made (listed, not problems)
        self.exclusions: list[dict[str, Any]] = []
        #: tiers with test files the project's own configuration left out of collection: they
        #: still have tests, so a tier left out whole is required and did not run
        self.excluded_tiers: set[str] = set()
        #: does the configuration file's addopts deselect this test (None: it deselects none)
        self._addopts_rule: Callable[[pytest.Item], bool] | bool | None = False
        #: node id -> how many user_properties were already checked for bad metrics
        self._metrics_checked: dict[str, int] = {}
        # pytest's --junitxml: the common JUnit schema (xunit2, pytest's default) has no
        # <properties> inside a <testcase>, so the tier and metric samples go there only
        # for xunit1; under xunit2 they are taken off the report once counted (the per-tier
        # JUnit file of --pyramid-report=junit carries the tiers, schema-valid)
        self._junit, self._junit_strict = _junit_families(config)
        self._parent_marker_names: dict[pytest.Item | pytest.Collector, frozenset[str]] = {}
        #: parent collector -> the pytest_pyramid_tier relay of its folder (item.ihook's)
        self._tier_relays: dict[pytest.Item | pytest.Collector | None, Any] = {}
        self.limits = self._install_limits(config)
        #: this run's CI shard (``--pyramid-shard``); None: the whole selection runs here
        self.shard: ShardSpec | None = None
        self._timeout_marks = {
            tier: pytest.mark.timeout(limit) for tier, limit in self.limits.marks.items()
        }
        #: tier -> the hard limit its tests ran under; checked on the measured duration too,
        #: so a test that caught pytest-timeout's exception (``except BaseException``, a
        #: retry loop) is still failed (empty when no limit is enforced: no per-test cost)
        self._hard_limits: dict[str, float | None] = dict(
            measured_limits(self.limits, _timeout_default(config) if self.limits.enforced
                            else None))
        #: node id -> the limit of a test's own ``timeout`` mark (it wins, as in pytest-timeout)
        self._own_limits: dict[str, float | None] = {}
        #: node id -> seconds its phases took so far (pytest-timeout times all three)
        self._spent: dict[str, float] = {}
        #: pytest-timeout's ``timeout_func_only``: then only the test body is timed
        self._func_only = bool(self._hard_limits) and bool(config.getini("timeout_func_only"))
        #: node ids whose limit timer went off (filled by run/timer.py's SignalTimer)
        self.timer_fired: set[str] = set()

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

    @pytest.hookimpl
    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self._deselected_ids.update(item.nodeid for item in items)
        if self._own_deselection:
            return
        rule = self._addopts_rule
        if rule is False:  # once, and only in a run that deselects anything
            from pytest_pyramid.run.filters import addopts_selector

            rule = self._addopts_rule = addopts_selector(self.config)
        selected, facts = self.selected, self.facts
        for item in items:
            tier = item.stash.get(TIER_KEY, None)
            if tier is not None and tier not in selected:
                # another hook ran before the tier selection dropped it: still ours
                facts.deselected[tier] += 1
                continue
            if callable(rule) and rule(item):
                facts.addopts_deselected[tier or "unknown"] += 1
                continue
            facts.deselected_elsewhere += 1
            if tier is not None:
                facts.filtered[tier] += 1

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        nodeid = report.nodeid
        module = nodeid.endswith(".py") and "::" not in nodeid
        if module:
            self.facts.seen_files.add(nodeid)
        # every item pytest collects appears in one collector's report (a test run by id in
        # the session's), before any hook edits the list: one loop per collector, no call
        # per item
        collected = self._collected_ids
        for node in report.result:
            if isinstance(node, pytest.Item):
                collected.append(node.nodeid)
        if self.is_worker or report.passed:
            return
        if report.failed:
            self.collection_errors += 1
        elif module:  # skipped at import: one skipped test in its tier, as pytest counts it
            # the collecting process (a worker too) named the tier from the module's markers
            tier = getattr(report, "pyramid_tier", None)
            if tier not in self.tier_names:
                tier = self.router.tier_for(nodeid) or self.settings.default_tier
            self.facts.skipped_modules[tier] += 1

    @pytest.hookimpl
    def pytest_plugin_registered(self, manager: pytest.PytestPluginManager) -> None:
        """A plugin registered while tests run (by a test, a fixture, a hook) is judged as
        one registered at collection, when it comes: one a test registers and removes again
        is gone by the run's end. Before collection ends its end's observation sees them all
        (pluggy replays this hook for every earlier plugin: nothing to do per plugin then)."""
        if self._plugins_late:
            self.plugins_seen.observe(manager, self.project_dir)

    @pytest.hookimpl(trylast=True)  # after every plugin changed the list
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # every conftest is imported now: what registered a plugin since the start is seen
        self.plugins_seen.observe(self.config.pluginmanager, self.project_dir)
        self._plugins_late = True
        items = session.items
        # a test run by id (file.py::test) has no module report: its file was still seen
        ids = [item.nodeid for item in items]
        self.facts.seen_files.update(nodeid.partition("::")[0] for nodeid in ids)
        self._reconcile_collection(ids)
        if self.is_worker or self.shard is not None:  # an id must mean one test elsewhere too
            self.facts.record_params(items)
        from pytest_pyramid.run.filters import ignored_sources

        self.facts.ignored_sources = ignored_sources(self.config, Path(self.settings.source))
        if self.is_worker:
            index = {name: chr(48 + spec.order) for name, spec in self.settings.tiers.items()}
            tier_of = self.tier_of
            self.facts.tiers_to_run = "".join(index[tier_of[n]] for n in ids if n in tier_of)
        elif not self.distributed:
            self.to_run = ids

    # -- running ----------------------------------------------------------------------------

    # -- session end ------------------------------------------------------------------------

    def _writes_verdict(self) -> bool:
        from pytest_pyramid.run.filters import informational

        return not (self.is_worker or informational(self.config.option))

    @pytest.hookimpl
    def pytest_report_header(self) -> list[str]:
        from pytest_pyramid.run.limits import header_lines

        return header_lines([t for t in self.settings.tiers if t in self.selected], self.limits)

    @pytest.hookimpl
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.is_worker:
            return  # the controller judges the invocation
        from pytest_pyramid.run.filters import narrowing_reasons
        from pytest_pyramid.run.invocation import read_invocation
        from pytest_pyramid.run.stash import NESTED_KEY, started_environ

        source = Path(self.settings.source)
        self.invocation = read_invocation(
            self.config, source, self.settings.allow_options, self.project_dir,
            self.plugins_seen, nested=self.config.stash.get(NESTED_KEY, False),
            started=started_environ(self.config),  # and os.environ now: the union
        )
        # now, before --lf forgets the failures that pass again during the run
        self.narrowing = narrowing_reasons(self.config, self.invocation, self.project_dir, source)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # the plugin set again at the end, in every process (a worker ships it below)
        self.plugins_seen.observe_at_end(self.config.pluginmanager, self.project_dir)
        if not self.distributed:  # the processes that imported the code under test
            from pytest_pyramid.run.loaded import loaded_code
            from pytest_pyramid.run.stash import MODULES_BEFORE_KEY

            self.facts.loaded_code = loaded_code(
                self.settings.source_paths, self.project_dir, started=self.started,
                before=self.config.stash.get(MODULES_BEFORE_KEY, frozenset()))
            self.facts.distributions = self._distributions()
        # and the Python children it started (hostile case 202), absorbed from their spool
        children = self.config.stash.get(CHILDREN_LOADED_KEY, None)
        if children:
            self.facts.loaded_code.update(children)
        if not self.distributed:
            self.judging.files = judging_conftests(self.config)
        if self.is_worker:
            workeroutput = getattr(self.config, "workeroutput", None)
            if workeroutput is not None:
                workeroutput[WORKER_OUTPUT_KEY] = ship(facts_registry(self.config))
            return
        if not self._writes_verdict():
            return  # nothing ran: keep the last real verdict instead of overwriting it
        run = self.aggregator.finish()
        self.facts.apply(run.tiers)
        problems, never_ran = self._reconcile(run)
        # a facts record can name what the run cannot vouch for (toolkits: a missing service)
        problems.extend(p for record in facts_registry(self.config).values()
                        for p in record.problems())
        if self.distributed:  # the workers' conftests judge the whole run here, as serially
            problems.extend(
                {"kind": "plugin_error", "message": f"a conftest the workers imported could "
                 f"not be imported on the xdist controller to judge the run: {error}"}
                for error in load_conftests(self.config, self.judging.files)
            )
        detail = session.shouldstop or session.shouldfail
        # the verdict stage (a wrapper around this hook) judges what is handed over here
        self.config.stash[RUN_END_KEY] = RunEnd(
            exitstatus=int(exitstatus),
            stop_text=detail if isinstance(detail, str) and detail else None,
            tests_failed=session.testsfailed,
            crashes=list(self.crashes),
            collection_errors=self.collection_errors,
            workers=len(self.workers),
            started=self.started,
            problems=problems,
            required=self._required(run),
            args=tuple(str(arg) for arg in self.config.invocation_params.args),
            never_ran=never_ran,
            notes=list(self.notes),
            shard=self._shard_end() if self.shard is not None else None,
            invocation=self._invocation_record(),
            loaded_code=dict(self.facts.loaded_code),
            distributions=dict(self.facts.distributions),
        )

    def _distributions(self) -> dict[str, dict[str, Any]]:
        """The installed distributions this process imported (``run/distributions.py``),
        the test tools' marked by the plugins pytest loaded."""
        import sys

        from pytest_pyramid.project import PYPROJECT, read_document
        from pytest_pyramid.run.distributions import imported, project_declared, python_places

        manager = self.config.pluginmanager

        def tools() -> set[str]:  # read only when a distribution is to be classified
            return {str(dist.metadata["Name"] or "") for _plugin, dist
                    in manager.list_plugin_distinfo()}

        own, declared = project_declared(read_document(self.project_dir / PYPROJECT))
        from pytest_pyramid.run.loaded import STARTUP
        from pytest_pyramid.run.stash import TOP_BEFORE_KEY

        before = self.config.stash.get(TOP_BEFORE_KEY, STARTUP)  # STARTUP: loaded late (-p)
        return imported(sys.modules, python_places(), tools, declared, own, before)

    def _invocation_record(self) -> dict[str, Any] | None:
        if self.invocation is None:
            return None
        from pytest_pyramid.run.filters import not_autoloaded, turned_off_plugins

        record = self.invocation.to_json()
        self.plugins_seen.fold_into(record)  # every process's, judged with the start's
        record["exclusions"] = self.exclusions
        # a raw fact the merge judges again (run/invocation.py: judge_recorded)
        record["plugins_off"] = sorted(turned_off_plugins(self.config))
        # which of them autoloading left out: the project's decision when its own addopts
        # turned autoloading off
        record["plugins_not_autoloaded"] = sorted(not_autoloaded(self.config))
        # names only, the union over every process: judged by judge_recorded (absent: not known)
        reads = facts_registry(self.config).get("environment_read")
        if reads is not None:
            from pytest_pyramid.run.env_reads import set_at_start
            from pytest_pyramid.run.stash import started_environ

            record["environment_read"] = set_at_start(reads.to_dict()["names"],
                                                      started_environ(self.config))
        return record

    def _shard_end(self) -> ShardEnd:
        """What a CI shard hands over besides the summary: its part and the whole."""
        assert self.shard is not None
        if self.distributed:
            by_index, tiers = self.tier_by_index, self.facts.tiers_to_run
            assigned = {
                nodeid: by_index.get(tiers[position] if position < len(tiers) else "",
                                     self.learned_tiers.get(nodeid, "unknown"))
                for position, nodeid in enumerate(self.controller_ids)
            }
        else:
            assigned = {nodeid: self.tier_of.get(nodeid, "unknown") for nodeid in self.to_run}
        return ShardEnd(
            index=self.shard.index,
            total=self.shard.total,
            source=self.shard.source,
            selection=dict(self.facts.shard or {}),
            assigned=assigned,
            scope_setup=dict(self.facts.scope_setup),
        )

def _distributes(config: pytest.Config) -> bool:
    """xdist's own rule for a controller that distributes (a --dist in addopts alone is not
    enough)."""
    return (getattr(config.option, "dist", "no") != "no"
            and bool(getattr(config.option, "tx", None))
            and not config.option.collectonly)


def _marker_rules(settings: Settings, order: dict[str, int]) -> MarkerRules:
    try:
        return MarkerRules(
            {name: spec.markers for name, spec in settings.tiers.items() if spec.markers}, order)
    except MarkerRuleError as exc:
        raise pytest.UsageError(
            f"pytest-pyramid: {settings.source}: [tool.pyramid] tiers.*.markers: {exc}"
        ) from None


def _junit_families(config: pytest.Config) -> tuple[bool, bool]:
    """(properties go into pytest's JUnit XML, properties are taken off the reports): both
    False when no JUnit XML is written."""
    writes_junit = bool(getattr(config.option, "xmlpath", None))
    legacy = writes_junit and config.getini("junit_family") in ("xunit1", "legacy")
    return legacy, writes_junit and not legacy


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


def _timeout_default(config: pytest.Config) -> float | None:
    """pytest-timeout's default limit as it reads it itself (its option, ``PYTEST_TIMEOUT``,
    its ``timeout`` setting): ``None`` when it sets none or cannot read it (it says so)."""
    try:
        from pytest_timeout import get_env_settings  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        value = get_env_settings(config).timeout
    except Exception:  # a bad value: pytest-timeout reports it itself
        return None
    return float(value) if value else None
