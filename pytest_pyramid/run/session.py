"""The stateful plugin: tier assignment at collection, report aggregation, reconciliation.

Registered only when the plugin is active, in every process (serial, xdist controller and
workers). At session end the controller (or the serial process) reconciles what was
collected with what reported, compares the test files on disk with those collected, and
leaves a :class:`~pytest_pyramid.run.summary.RunEnd` in the config stash for the verdict stage.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from pytest_pyramid.durations import format_duration
from pytest_pyramid.run.aggregate import Aggregator
from pytest_pyramid.run.facts import (
    WORKER_OUTPUT_KEY,
    FactsRecord,
    Policy,
    register_facts,
    ship,
)
from pytest_pyramid.run.limits import LimitPlan, plan_limits
from pytest_pyramid.run.metrics import LEGACY_PROPERTY, check_properties
from pytest_pyramid.run.stash import RUN_END_KEY, RUN_KEY, TIER_KEY
from pytest_pyramid.run.summary import (
    Problem,
    RunEnd,
    RunSummary,
    ShardEnd,
    TierStats,
    wider_limit,
)
from pytest_pyramid.run.tiers import (
    MarkerRuleError,
    MarkerRules,
    PathRouter,
    TierAssignmentError,
    assign_tier,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.invocation import Invocation
    from pytest_pyramid.run.shard import ShardSpec

TIMEOUT_PREFIX = "Timeout (>"
#: how many paths a completeness message names before it says "+N more"
SHOWN = 5
#: the run's facts records by name (``run/facts.py``): every xdist worker ships each of
#: them, the controller unions every worker's; ``register_facts`` adds one
FACTS_REGISTRY_KEY: pytest.StashKey[dict[str, FactsRecord]] = pytest.StashKey()


def facts_registry(config: pytest.Config) -> dict[str, FactsRecord]:
    """The run's facts records (created on first use)."""
    registry = config.stash.get(FACTS_REGISTRY_KEY, None)
    if registry is None:
        registry = config.stash[FACTS_REGISTRY_KEY] = {}
    return registry


#: the time spent by a test already failed: no later phase of it is failed again
_JUDGED = float("-inf")


def _killed_after(message: str) -> float | None:
    """The limit in pytest-timeout's ``Timeout (>0.5s) from pytest-timeout.``"""
    start = message.find(TIMEOUT_PREFIX) + len(TIMEOUT_PREFIX)
    end = message.find("s)", start)
    try:
        return float(message[start:end])
    except ValueError:
        return None


def _listed(paths: list[str]) -> str:
    more = f" (+{len(paths) - SHOWN} more)" if len(paths) > SHOWN else ""
    return ", ".join(paths[:SHOWN]) + more


class CollectionFacts(FactsRecord):
    """What the collecting process saw; every xdist worker ships it, the controller unions
    them (``run/facts.py``: a fact any worker saw counts)."""

    POLICIES: ClassVar[Mapping[str, Policy]] = {
        # computed alike by every worker from the same collection (xdist checks it is one)
        "collected": "same",
        "deselected": "same",
        "filtered": "same",
        "paths_not_collected": "same",
        "tiers_to_run": "same",
        "shard": "same",
        "addopts_deselected": "same",
        "own_timeouts": "same",
        # observed: what any worker saw counts
        "seen_files": "union",
        "dropped_ids": "union",
        "duplicate_ids": "union",
        "ignored_sources": "union",
        "foreign_code": "union",
        "dropped": "max",
        "injected": "max",
        "deselected_elsewhere": "max",
        "outside": "max",
    }

    def __init__(self) -> None:
        self.collected: Counter[str] = Counter()
        self.deselected: Counter[str] = Counter()
        self.filtered: Counter[str] = Counter()
        self.paths_not_collected: Counter[str] = Counter()
        #: test modules pytest collected (or skipped, or failed to import), rootdir-relative
        self.seen_files: set[str] = set()
        #: collected tests removed from the run without pytest_deselected (ids shown first)
        self.dropped = 0
        self.dropped_ids: list[str] = []
        #: tests in the run that pytest never collected (added, or duplicated, by a hook)
        self.injected = 0
        #: node ids shared by two or more tests in the run: reports are kept by node id, so
        #: their outcomes cannot all be counted
        self.duplicate_ids: list[str] = []
        #: tests deselected by another plugin, an option or a conftest (not by --pyramid-tier)
        self.deselected_elsewhere = 0
        #: tier -> tests deselected by the configuration file's own addopts (-m/-k/--deselect)
        self.addopts_deselected: Counter[str] = Counter()
        #: pytest's configuration file and conftest files that git ignores
        self.ignored_sources: list[str] = []
        #: the project's own packages imported from elsewhere, or from unchecked bytecode
        self.foreign_code: list[str] = []
        #: tests collected from outside the rootdir
        self.outside = 0
        #: tier -> test modules skipped at import (counted where reports arrive: the
        #: controller gets the workers' skipped collect reports from xdist; not shipped)
        self.skipped_modules: Counter[str] = Counter()
        #: tier -> the widest limit a test set with its own timeout mark (0: lifted)
        self.own_timeouts: dict[str, float] = {}
        #: the tier of each test that was to run, in order (one char per test: the tier's index)
        self.tiers_to_run = ""
        #: in a CI shard: the selection before splitting (digest, counts) and the durations
        self.shard: dict[str, Any] | None = None
        #: in a CI shard: module/class node id -> seconds of shared fixture setup
        self.scope_setup: dict[str, float] = {}

    def apply(self, tiers: dict[str, TierStats]) -> None:
        for tier, count in self.collected.items():
            _stats(tiers, tier).collected = count
        for tier, count in self.deselected.items():
            _stats(tiers, tier).deselected = count
        for tier, count in self.paths_not_collected.items():
            _stats(tiers, tier).paths_not_collected = count
        for tier, count in self.skipped_modules.items():
            _stats(tiers, tier).skipped_modules = count
        for tier, seconds in self.own_timeouts.items():
            _stats(tiers, tier).own_timeout_s = seconds


class JudgingConftests(FactsRecord):
    """Conftest files a process imported that answer the verdict's hooks
    (``pytest_pyramid_gates``, ``pytest_pyramid_verdict_sections``), rootdir-relative: an
    xdist controller never collects, so it imports them from the workers' list, and a CI
    shard lists them for ``pyramid merge`` (the gate is judged on the whole run's data)."""

    POLICIES: ClassVar[Mapping[str, Policy]] = {"files": "union"}

    def __init__(self) -> None:
        self.files: list[str] = []


#: the hooks whose conftest implementations judge the whole run
JUDGING_HOOKS = ("pytest_pyramid_gates", "pytest_pyramid_verdict_sections")


def judging_conftests(config: pytest.Config) -> list[str]:
    """Conftest files registered in this process that implement a judging hook."""
    found: list[str] = []
    for name in JUDGING_HOOKS:
        for impl in getattr(config.hook, name).get_hookimpls():
            file = getattr(impl.plugin, "__file__", None)
            if not file or Path(file).name != "conftest.py":
                continue
            path = Path(file)
            try:
                shown = path.relative_to(config.rootpath).as_posix()
            except ValueError:
                shown = str(path)
            if shown not in found:
                found.append(shown)
    return sorted(found)


def load_conftests(config: pytest.Config, files: list[str]) -> list[str]:
    """Import conftest files (and the ones above them, as collecting their folder does)
    where the run did not collect; returns why each that could not be imported failed."""
    errors = []
    registered = {Path(f) for f in judging_conftests(config)}
    for file in files:
        if Path(file) in registered:
            continue
        path = config.rootpath / file
        try:
            # pytest's own loader (8.1+): the conftests of that folder and above it, once
            config.pluginmanager._loadconftestmodules(
                path.parent,
                config.getoption("importmode"),
                rootpath=config.rootpath,
                consider_namespace_packages=bool(config.getini("consider_namespace_packages")),
            )
        except Exception as exc:  # named in the verdict, never a pass
            errors.append(f"{file}: {type(exc).__name__}: {exc}")
    return errors


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
        try:
            self.marker_rules = MarkerRules(
                {name: spec.markers for name, spec in settings.tiers.items() if spec.markers},
                self.order,
            )
        except MarkerRuleError as exc:
            raise pytest.UsageError(
                f"pytest-pyramid: {settings.source}: [tool.pyramid] tiers.*.markers: {exc}"
            ) from None
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
        writes_junit = bool(getattr(config.option, "xmlpath", None))
        legacy = writes_junit and config.getini("junit_family") in ("xunit1", "legacy")
        self._junit = legacy
        self._junit_strict = writes_junit and not legacy
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
        self._hard_limits = {t: v for t, v in self.limits.effective.items() if v}
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
        """Skip importing modules that can only hold tests of unselected tiers (not when a
        selected tier takes tests by marker: any file may hold one, marked by a decorator or
        by another plugin at collection)."""
        if len(self.selected) == len(self.tier_names) or self._selected_by_marker:
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

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> Generator[None, None, None]:
        """Tiers before every other plugin's hook (tier markers for ``-m <tier>``), checked
        again after all of them: a plugin that marks tests itself at this stage (Hypothesis's
        ``hypothesis`` marker) moves them by the tiers' ``markers``; only then are the tiers
        not selected dropped, so such a plugin sees (and marks) every test."""
        self._assign_tiers(config, items)
        yield
        late, moved = self._late_markers(items)
        if late:
            shown = "\n  ".join(late[:20])
            more = f"\n  ... and {len(late) - 20} more" if len(late) > 20 else ""
            raise pytest.UsageError(f"pytest-pyramid: tier assignment failed:\n  {shown}{more}")
        if moved:  # keep the pyramid order (stable: each tier's own order is kept)
            order = self.order
            items.sort(key=lambda item: order.get(item.stash.get(TIER_KEY, ""), 0))
        self._drop_unselected(config, items)

    def _assign_tiers(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        problems: list[str] = []
        tier_set = self.tier_names
        settings = self.settings
        default_tier, strict = settings.default_tier, settings.strict
        tier_marks = {name: getattr(pytest.mark, name) for name in tier_set}
        marker_names = self._marker_names
        path_tier_for = self.router.tier_for
        timeout_marks = self._timeout_marks
        limited = self.limits.effective
        tier_of, collected = self.tier_of, self.facts.collected
        facts = self.facts
        junit = self._junit
        # one list per tier, in pyramid order: concatenated they are the stable sort by tier
        buckets: dict[str, list[pytest.Item]] = {
            name: [] for name in sorted(tier_set, key=self.order.__getitem__)
        }
        rules = self.marker_rules or None
        # the item's own hook relay, as pytest calls item hooks: a conftest's answer counts
        # only for the tests below its folder (one relay per parent collector, not per test)
        hook = config.hook.pytest_pyramid_tier
        ask = self._item_relay if hook.get_hookimpls() else None
        explicit = self._explicit
        for item in items:
            nodeid = item.nodeid  # a property: read once
            names = marker_names(item)
            marker_tiers = names & tier_set
            # location[0] is pytest's own (cached) path of the item relative to the rootdir
            rel = item.location[0].replace("\\", "/")
            if rel[:3] == "../":  # collected from outside the rootdir: not this project's test
                facts.outside += 1
            by_rule = None
            if not marker_tiers and (ask is not None or rules is not None):
                by_rule = self._rule_tier(item, nodeid, names, ask, rules, problems)
            if by_rule is not None:
                tier = by_rule
            else:
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
            if marker_tiers:
                explicit.add(id(item))
            item.stash[TIER_KEY] = tier
            tier_of[nodeid] = tier
            collected[tier] += 1
            buckets[tier].append(item)
            if not marker_tiers:  # a path-mapped test answers to -m <tier> like a marked one
                item.add_marker(tier_marks[tier])
            if "timeout" in names:  # the user's own mark wins: the verdict says what it allowed
                self._own_limit(item, nodeid)
                if limited.get(tier) is not None:
                    self._own_timeout(item, tier)
            elif tier in timeout_marks:
                item.add_marker(timeout_marks[tier])
            if junit:  # the tier in JUnit XML, only when a report is written
                item.user_properties.append(("pyramid.tier", tier))
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise pytest.UsageError(f"pytest-pyramid: tier assignment failed:\n  {shown}{more}")

        items[:] = [item for bucket in buckets.values() for item in bucket]

    def _drop_unselected(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Deselect the tests of tiers this run does not select (``--pyramid-tier``)."""
        selected = self.selected
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            tier = item.stash.get(TIER_KEY, None)
            (kept if tier is None or tier in selected else dropped).append(item)
        if dropped:
            for item in dropped:
                self.facts.deselected[item.stash[TIER_KEY]] += 1
            self._own_deselection = True
            try:
                config.hook.pytest_deselected(items=dropped)
            finally:
                self._own_deselection = False
        items[:] = kept

    def _own_timeout(self, item: pytest.Item, tier: str) -> None:
        mark = item.get_closest_marker("timeout")
        value = None if mark is None else mark.kwargs.get(
            "timeout", mark.args[0] if mark.args else None)
        try:
            seconds = float(value) if value is not None else 0.0
        except (TypeError, ValueError):
            seconds = 0.0  # not a number pytest-timeout reads as a limit: count it as none
        own = self.facts.own_timeouts
        own[tier] = wider_limit(own.get(tier), seconds) or 0.0

    def deselect_quietly(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Deselect tests for a reason that does not narrow the run (another CI shard runs
        them): the terminal counts them, the reconciliation does not."""
        self._own_deselection = True
        try:
            config.hook.pytest_deselected(items=items)
        finally:
            self._own_deselection = False

    def _rule_tier(
        self,
        item: pytest.Item,
        nodeid: str,
        names: frozenset[str],
        ask: Any,
        rules: MarkerRules | None,
        problems: list[str],
    ) -> str | None:
        """The project's own rule (the hook), then the tiers' ``markers``; None: neither."""
        if ask is not None:
            answer = ask(item)
            if answer is not None:
                if answer not in self.tier_names:
                    problems.append(
                        f"{nodeid}: pytest_pyramid_tier returned {answer!r}, not a tier "
                        f"({', '.join(self.settings.tiers)})"
                    )
                    return None
                self._explicit.add(id(item))
                return str(answer)
        return rules.tier_for(names) if rules is not None else None

    def _item_relay(self, item: pytest.Item) -> object:
        """``pytest_pyramid_tier`` through ``item.ihook``: the conftests of the item's own
        folders and the plugins, never a sibling folder's conftest."""
        relays = self._tier_relays
        parent = item.parent
        relay = relays.get(parent)
        if relay is None:
            relay = relays[parent] = item.ihook.pytest_pyramid_tier
        return relay(item=item)

    def _late_markers(self, items: list[pytest.Item]) -> tuple[list[str], bool]:
        """After every ``pytest_collection_modifyitems``: a test another hook gave a marker
        of the tiers' ``markers`` moves to that tier (unless its tier was explicit: its own
        tier marker or the hook's answer); a tier marker added there is an error naming the
        test (``-m`` already selected by the old one). Returns (problems, anything moved).
        O(1) per test: only tests with markers beyond the tier marker are looked at."""
        problems = []
        tier_set = self.tier_names
        rules = self.marker_rules or None
        explicit = self._explicit
        moved = False
        for item in items:
            own = item.own_markers
            if not own:
                continue
            tier = item.stash.get(TIER_KEY, None)
            if tier is None or (len(own) == 1 and own[0].name == tier):
                continue  # the common case: only the tier marker this plugin added
            late = {m.name for m in own if m.name in tier_set} - {tier}
            if late:
                problems.append(
                    f"{item.nodeid}: got tier marker {sorted(late)[0]!r} after pytest-pyramid "
                    f"put it in tier {tier!r} (a pytest_collection_modifyitems hook added it: "
                    "add markers in pytest_itemcollected instead, or answer "
                    "pytest_pyramid_tier)"
                )
                continue
            if rules is None or id(item) in explicit:
                continue
            target = rules.tier_for(self._marker_names(item))
            if target is not None and target != tier:
                self._move(item, tier, target)
                moved = True
        return problems, moved

    def _move(self, item: pytest.Item, old: str, new: str) -> None:
        """Re-tier a test that a late marker placed elsewhere: everything the assignment
        recorded or added for ``old`` (counts, tier marker, per-test limit, JUnit property)."""
        item.stash[TIER_KEY] = new
        self.tier_of[item.nodeid] = new
        collected = self.facts.collected
        collected[old] -= 1
        collected[new] += 1
        ours = self._timeout_marks.get(old)
        old_limit = ours.mark if ours is not None else None
        item.own_markers[:] = [
            m for m in item.own_markers if m.name != old and m is not old_limit
        ]
        item.add_marker(getattr(pytest.mark, new))
        limit = self._timeout_marks.get(new)
        if limit is not None and not any(m.name == "timeout" for m in item.own_markers):
            item.add_marker(limit)
        properties = item.user_properties
        for index, entry in enumerate(properties):
            if entry == ("pyramid.tier", old):
                properties[index] = ("pyramid.tier", new)

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

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if report.skipped and isinstance(collector, pytest.Module):
            # travels with the report to an xdist controller, as a test report's tier does
            report.pyramid_tier = self._skipped_module_tier(collector)  # type: ignore[attr-defined]
        return report

    def _skipped_module_tier(self, module: pytest.Module) -> str:
        """The tier of a module skipped at import, by the rule a test of it would follow:
        tier markers, then the tiers' ``markers`` rules, then its path."""
        from pytest_pyramid.run.tiers import module_marker_names

        names = self._marker_names(module)
        with contextlib.suppress(OSError, UnicodeDecodeError):  # unreadable: pytest says so
            names = names | module_marker_names(module.path.read_text("utf-8"))
        marked = sorted(names & self.tier_names, key=self.order.__getitem__)
        if marked:
            return marked[-1]
        by_rule = self.marker_rules.tier_for(names) if self.marker_rules else None
        if by_rule is not None:
            return by_rule
        rel = self._relpath(module.path)
        return (self.router.tier_for(rel) if rel else None) or self.settings.default_tier

    @pytest.hookimpl(trylast=True)  # after every plugin changed the list
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        items = session.items
        # a test run by id (file.py::test) has no module report: its file was still seen
        ids = [item.nodeid for item in items]
        self.facts.seen_files.update(nodeid.partition("::")[0] for nodeid in ids)
        self._reconcile_collection(ids)
        from pytest_pyramid.run.filters import ignored_sources

        self.facts.ignored_sources = ignored_sources(self.config, Path(self.settings.source))
        if self.is_worker:
            index = {name: chr(48 + spec.order) for name, spec in self.settings.tiers.items()}
            tier_of = self.tier_of
            self.facts.tiers_to_run = "".join(index[tier_of[n]] for n in ids if n in tier_of)
        elif not self.distributed:
            self.to_run = ids

    def _reconcile_collection(self, ids: list[str]) -> None:
        """What pytest collected, less what was deselected, must be what runs: a hook that
        removes, swaps or duplicates items (before or after this plugin's own) is seen here,
        by node id, not by count."""
        collected = Counter(self._collected_ids)
        running = Counter(ids)
        deselected = self._deselected_ids
        dropped = [n for n in collected if n not in running and n not in deselected]
        injected = running - collected
        self.facts.dropped = len(dropped)
        self.facts.dropped_ids = sorted(dropped)[:SHOWN]
        self.facts.injected = sum(injected.values())
        self.facts.duplicate_ids = sorted(n for n, count in running.items() if count > 1)
        # each item of a shared node id counts once (the xdist controller: distributed.py)
        self.aggregator.duplicated = frozenset(self.facts.duplicate_ids)
        self._collected_ids = []  # O(tests) once; not kept for the rest of the run

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

    def _own_limit(self, item: pytest.Item, nodeid: str) -> None:
        """The limit of a test's own ``timeout`` mark, read as pytest-timeout reads it."""
        if not self._hard_limits:
            return
        mark = item.get_closest_marker("timeout")
        raw = (mark.args[0] if mark.args else mark.kwargs.get("timeout")) if mark else None
        try:
            limit = float(raw) if raw is not None else None
        except (TypeError, ValueError):
            return  # pytest-timeout itself reports the bad mark
        self._own_limits[nodeid] = limit if limit else None

    def _check_limit(self, report: pytest.TestReport, nodeid: str, tier: str) -> None:
        """Fail a test whose limit timer went off, or whose measured time exceeds the limit
        it ran under, whatever it did with pytest-timeout's exception (``except
        BaseException``, a bare ``except:``, a retry loop)."""
        spent = self._spent.pop(nodeid, 0.0) + (
            report.duration if report.when == "call" or not self._func_only else 0.0)
        went_off = nodeid in self.timer_fired
        if report.when == "teardown" or report.outcome == "failed":
            self.timer_fired.discard(nodeid)
        if report.outcome == "failed":  # killed (named by _note_timeout) or failed on its own
            if report.when != "teardown":
                self._spent[nodeid] = _JUDGED  # one failure per test, not one per phase
            return
        if report.when != "teardown":
            self._spent[nodeid] = spent
        own = self._own_limits
        limit = own[nodeid] if own and nodeid in own else self._hard_limits.get(tier)
        if limit is None or not (went_off or spent > limit):
            return
        if report.when != "teardown":
            self._spent[nodeid] = _JUDGED
        self.timer_fired.discard(nodeid)
        if nodeid in own:
            what = f"its own timeout mark {format_duration(limit)}"
        elif self.limits.user_override:
            what = f"the --timeout limit {format_duration(limit)}"
        else:
            what = f"tier {tier!r} per-test limit {format_duration(limit)}"
        report.outcome = "failed"
        if hasattr(report, "wasxfail"):
            del report.wasxfail  # an expected failure does not excuse a broken hard limit
        report.longrepr = (
            f"pyramid: {what} exceeded: the test ran {format_duration(spent)} up to its "
            f"{report.when}; the timeout was caught and the test went on"
        )

    def _check_metrics(self, report: pytest.TestReport, nodeid: str) -> None:
        """Fail the test whose metric samples cannot be judged (where the test ran)."""
        properties = report.user_properties
        start = self._metrics_checked.get(nodeid, 0)
        if len(properties) > start:
            problem = check_properties(properties, start)
            if problem is not None and report.outcome != "failed":
                report.outcome = "failed"
                report.longrepr = f"pyramid: {problem} (the sample was not recorded)"
            if any(str(e[0]).startswith(LEGACY_PROPERTY) for e in properties[start:]
                   if isinstance(e, tuple) and e):
                self._metrics_checked[nodeid] = len(properties)
        if report.when == "teardown":
            self._metrics_checked.pop(nodeid, None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Runs before xdist ships the report and before junitxml/terminal read it.
        nodeid = report.nodeid  # a property on pytest 9: read it once
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
            if report.user_properties:
                self._check_metrics(report, nodeid)
            if self._hard_limits:
                self._check_limit(report, nodeid, tier)
            if report.outcome == "failed":
                self._note_timeout(report, tier)
            if self.is_worker:
                report.pyramid_tier = tier  # type: ignore[attr-defined]  # travels with xdist
                return
        if report.outcome == "failed":
            self.failed_tiers.add(tier)
        self.aggregator.add_report(report, tier, nodeid)
        if self._junit_strict and report.user_properties:
            report.user_properties = [
                entry for entry in report.user_properties
                if not str(entry[0] if entry else "").startswith(LEGACY_PROPERTY)
            ]

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

        source = Path(self.settings.source)
        self.invocation = read_invocation(
            self.config, source, self.settings.allow_options, self.project_dir
        )
        # now, before --lf forgets the failures that pass again during the run
        self.narrowing = narrowing_reasons(self.config, self.invocation, self.project_dir, source)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.distributed:  # the processes that imported the code under test
            from pytest_pyramid.run.loaded import foreign_code

            self.facts.foreign_code = foreign_code(self.settings.source_paths, self.project_dir)
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
        )

    def _invocation_record(self) -> dict[str, Any] | None:
        if self.invocation is None:
            return None
        from pytest_pyramid.run.filters import turned_off_plugins

        record = self.invocation.to_json()
        record["exclusions"] = self.exclusions
        # a raw fact the merge judges again (run/invocation.py: judge_recorded)
        record["plugins_off"] = sorted(turned_off_plugins(self.config))
        return record

    def _addopts_exclusions(self, run: RunSummary) -> None:
        """Tests the configuration file's addopts deselected: the project's decision when
        git tracks that file (listed in the verdict, never counted as passed), else a
        narrowing like any other deselection."""
        counts = self.facts.addopts_deselected
        total = sum(counts.values())
        if not total:
            return
        invocation = self.invocation
        source = invocation.sources[0] if invocation is not None else None
        if invocation is None or source is None or not source.own:
            self.facts.deselected_elsewhere += total
            return
        what = " ".join(
            f"{s['option']} {s['value']!r}" for s in invocation.settings
            if s["own"] and s["class"] == "selection"
            and s["option"] in ("-k", "-m", "--deselect")
        )
        self.exclusions.append({"what": what or "addopts", "file": source.file or "",
                                "tests": total, "tiers": dict(counts)})
        for tier, count in counts.items():  # the part of `collected` that did not run
            if tier in run.tiers:
                run.tiers[tier].deselected += count

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

    def _required(self, run: RunSummary) -> tuple[str, ...]:
        if self.settings.release_tiers is not None:
            return tuple(self.settings.release_tiers)
        return tuple(name for name, stats in run.tiers.items()
                     if stats.has_tests or name in self.excluded_tiers)

    def _reconcile(self, run: RunSummary) -> tuple[list[Problem], int]:
        """Collected = reported, and on disk = collected: every way a run can cover less
        of the suite than it seems to, found from what the run saw."""
        problems: list[Problem] = []
        facts = self.facts
        if self.distributed and not facts.absorbed:
            problems.append({"kind": "no_collection",
                             "message": "no xdist worker reported its collection"})
        tables = self.settings.raw.get("tiers", {})
        configured = [  # limits the project set itself, not defaults
            n for n, spec in self.settings.tiers.items()
            if spec.test_timeout and n in self.selected
            and isinstance(tables.get(n), dict) and "test_timeout" in tables[n]
        ]
        if configured and not self.limits.enforced:
            problems.append({"kind": "limits", "message": "per-test limits are configured for "
                             f"{', '.join(configured)} but were not enforced (pytest-timeout "
                             "is not active)"})
        elif configured and self.limits.user_override:
            problems.append({"kind": "limits", "message": "--timeout replaced the per-test "
                             f"limits the project configures for {', '.join(configured)}"})
        if self.stopped_after:
            problems.append({
                "kind": "fail_fast",
                "message": f"stopped after tier {self.stopped_after} failed (--tier-fail-fast)",
            })
        reasons = list(self.narrowing)
        self._addopts_exclusions(run)
        filtered = facts.deselected_elsewhere
        if filtered and not any("-k" in r or "-m" in r or "--lf" in r for r in reasons):
            reasons.append(f"{filtered} test(s) deselected by a plugin, option or conftest")
        if facts.dropped:
            reasons.append(
                f"{facts.dropped} collected test(s) were removed from the run without being "
                f"deselected (by a conftest or plugin hook): {_listed(facts.dropped_ids)}"
            )
        if facts.outside:
            reasons.append(f"{facts.outside} test(s) were collected from outside the project "
                           f"directory {self.project_dir}")
        if facts.foreign_code:
            problems.append({
                "kind": "foreign_code",
                "message": f"the code under test is not the tree's: {_listed(facts.foreign_code)}",
            })
        if facts.ignored_sources:
            reasons.append(
                "files that git ignores shaped the run (not part of the tree the verdict "
                f"names): {_listed(facts.ignored_sources)}"
            )
        if facts.injected:
            reasons.append(
                f"{facts.injected} test(s) in the run were never collected by pytest "
                "(added or duplicated by a conftest or plugin hook)"
            )
        run.filter_reasons.extend(reasons)
        problems.extend({"kind": "narrowed", "message": r} for r in reasons)
        if facts.duplicate_ids:
            problems.append({
                "kind": "duplicate_ids",
                "message": "two or more tests share a node id, so their outcomes cannot all be "
                f"counted: {_listed(facts.duplicate_ids)} (give each test its own name)",
            })

        never_ran = self._never_ran(run)
        if never_ran:
            total = sum(never_ran.values())
            per_tier = ", ".join(f"{tier} {n}" for tier, n in never_ran.items())
            problems.append({
                "kind": "never_ran",
                "message": f"{total} collected test(s) never ran ({per_tier})",
            })
        problems.extend(self._files_not_collected(run))
        return problems, sum(never_ran.values())

    def _never_ran(self, run: RunSummary) -> dict[str, int]:
        outcomes = run.outcomes
        counts: Counter[str] = Counter()
        if self.distributed:
            ids = self.controller_ids
            tiers = self.facts.tiers_to_run
            by_index = self.tier_by_index
            for position, nodeid in enumerate(ids):
                test = outcomes.get(nodeid)
                if test is None or not test.finished:
                    char = tiers[position] if position < len(tiers) else ""
                    counts[by_index.get(char, self.learned_tiers.get(nodeid, "unknown"))] += 1
        else:
            tier_of = self.tier_of
            for nodeid in self.to_run:
                test = outcomes.get(nodeid)
                if test is None or not test.finished:
                    counts[tier_of.get(nodeid, "unknown")] += 1
        for tier, count in counts.items():
            if tier in run.tiers:
                run.tiers[tier].never_ran = count
        return dict(counts)

    def _files_not_collected(self, run: RunSummary) -> list[Problem]:
        from pytest_pyramid.run._git import tree_files
        from pytest_pyramid.run.inventory import (
            ScanRules,
            is_test_file,
            scan,
            scan_roots,
            tier_roots,
        )

        config = self.config
        if self.rootpath != self.project_dir:
            return [{
                "kind": "rootdir",
                "message": f"the rootdir {self.rootpath} is not the project directory "
                f"{self.project_dir} (where [tool.pyramid] is): tier paths cannot be judged",
            }]
        patterns = self.settings.exclude

        def excluded(rel: str) -> bool:
            from pytest_pyramid.globs import glob_match

            return any(glob_match(pattern, rel) for pattern in patterns)

        python_files = tuple(config.getini("python_files"))
        project_rules = ScanRules(
            python_files=python_files,
            norecursedirs=tuple(config.getini("norecursedirs")),
            collect_in_virtualenv=bool(config.getoption("collect_in_virtualenv", False)),
            exclude=excluded if patterns else None,
        )
        tier_rules = ScanRules(python_files=python_files, collect_in_virtualenv=True,
                               exclude=excluded if patterns else None)
        tier_paths = [p for spec in self.settings.tiers.values() for p in spec.paths]
        testpaths = [str(p) for p in config.getini("testpaths")]
        roots = tier_roots(tier_paths)
        in_tiers = scan(self.project_dir, roots, tier_rules)
        elsewhere = scan(self.project_dir, scan_roots(testpaths), project_rules)
        # what the tree digest names under the tiers' folders, wherever it is: a tracked file
        # outside a sparse checkout, or one in a hidden folder the walk does not enter
        listed = tree_files(self.project_dir, roots) or ()
        named = [rel for rel in listed if is_test_file(rel, tier_rules)]
        # a path git lists that is a folder is a gitlink: without a checkout in it (a
        # submodule never initialised) its tests are not in the workspace either
        unfetched = [rel for rel in listed if (self.project_dir / rel).is_dir()
                     and not (self.project_dir / rel / ".git").exists()]
        gone = {rel for rel in named if not os.path.lexists(self.project_dir / rel)}
        files = sorted({*in_tiers.files, *elsewhere.files, *named})
        truncated = in_tiers.truncated or elsewhere.truncated
        router = self.router
        on_disk: Counter[str] = Counter()
        missing: list[str] = []
        seen = self.facts.seen_files
        own = self._own_exclusions(files, seen)
        for rel in files:
            tier = router.tier_for(rel) or self.settings.default_tier
            if rel in own:  # the project's own tracked configuration left it out: listed
                self.excluded_tiers.add(tier)
                continue
            on_disk[tier] += 1
            if tier in self.selected and rel not in seen:
                missing.append(rel)
        for tier, count in on_disk.items():
            if tier in run.tiers:
                run.tiers[tier].files_on_disk = count
        problems: list[Problem] = []
        absent = [rel for rel in missing if rel in gone]
        if unfetched:
            problems.append({
                "kind": "files_not_collected",
                "message": f"{len(unfetched)} submodule(s) under a tier's folder are not checked "
                f"out: {_listed(unfetched)} (clone with --recurse-submodules: the tests of "
                "the commit they pin did not run)",
            })
        if absent:
            problems.append({
                "kind": "files_not_collected",
                "message": f"{len(absent)} tracked test file(s) are not in the workspace: "
                f"{_listed(absent)} (a sparse or partial checkout: the commit's tests did not "
                "all run)",
            })
            missing = [rel for rel in missing if rel not in gone]
        if missing:
            problems.append({
                "kind": "files_not_collected",
                "message": f"{len(missing)} test file(s) on disk were not collected: "
                f"{_listed(missing)} (ignored, or outside the collected paths; list files "
                "that are not part of the suite in [tool.pyramid] exclude)",
            })
        if truncated:
            problems.append({"kind": "inventory", "message": "too many files to take stock of "
                             "the suite's test files; set testpaths"})
        return problems


    def _own_exclusions(self, files: list[str], seen: set[str]) -> set[str]:
        """The test files on disk the project's own tracked configuration left out of
        collection (``--ignore`` in its addopts, ``collect_ignore`` in a tracked conftest):
        recorded in ``self.exclusions``; a file left out any other way stays a problem."""
        unseen = [rel for rel in files if rel not in seen]
        if not unseen or self.invocation is None:
            return set()
        from pytest_pyramid.run.filters import own_path_exclusions

        rules = own_path_exclusions(self.config, self.invocation, self.project_dir)
        left_out: set[str] = set()
        for what, where, matches in rules:
            hit = [rel for rel in unseen if rel not in left_out and matches(self.project_dir / rel)]
            if hit:
                left_out.update(hit)
                self.exclusions.append({"what": what, "file": where, "files": hit[:SHOWN],
                                        "count": len(hit)})
        return left_out


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
