"""Tier assignment at collection: each test's tier from its markers, the project's hook, the
tiers' ``markers`` rules and its path; the tiers not selected dropped; a marker added late
moves a test (``markers`` rules) or is an error naming it (a tier marker).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.stash import TIER_KEY
from pytest_pyramid.run.summary import wider_limit
from pytest_pyramid.run.tiers import TierAssignmentError, assign_tier

if TYPE_CHECKING:
    from collections.abc import Generator
    from pathlib import Path

    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.collection import CollectionFacts
    from pytest_pyramid.run.limits import LimitPlan
    from pytest_pyramid.run.tiers import MarkerRules, PathRouter


class TierAssignment:
    """Part of :class:`~pytest_pyramid.run.session.PyramidSession`: the collection hooks that
    give every test its tier (the state is the session's)."""

    settings: Settings
    selected: frozenset[str]
    tier_names: frozenset[str]
    order: dict[str, int]
    router: PathRouter
    marker_rules: MarkerRules
    rootpath: Path
    facts: CollectionFacts
    tier_of: dict[str, str]
    limits: LimitPlan
    _selected_by_marker: bool
    _explicit: set[int]
    _relpaths: dict[Path, str | None]
    _own_deselection: bool
    _junit: bool
    _parent_marker_names: dict[pytest.Item | pytest.Collector, frozenset[str]]
    _tier_relays: dict[pytest.Item | pytest.Collector | None, Any]
    _timeout_marks: dict[str, pytest.MarkDecorator]
    _hard_limits: dict[str, float | None]
    _own_limits: dict[str, float | None]

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
        if not all(isinstance(item, pytest.Item) for item in items):
            # pytest's perform_collect(genitems=False) hands collectors, not tests (pytester's
            # getitems/getmodulecol): no test is run from it, so there is nothing to sort
            return (yield)
        self._assign_tiers(config, items)
        yield
        late, moved = self._late_markers(items)
        if late:
            raise assignment_failed(late)
        if moved:  # keep the pyramid order (stable: each tier's own order is kept)
            order = self.order
            items.sort(key=lambda item: order.get(item.stash.get(TIER_KEY, ""), 0))
        self._drop_unselected(config, items)

    def _assign_tiers(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        problems: list[str] = []
        tier_set = self.tier_names
        tier_marks = {name: getattr(pytest.mark, name) for name in tier_set}
        marker_names = self._marker_names
        tier_of, collected = self.tier_of, self.facts.collected
        facts = self.facts
        # one list per tier, in pyramid order: concatenated they are the stable sort by tier
        buckets: dict[str, list[pytest.Item]] = {
            name: [] for name in sorted(tier_set, key=self.order.__getitem__)
        }
        rules = self.marker_rules or None
        # the item's own hook relay, as pytest calls item hooks: a conftest's answer counts
        # only for the tests below its folder (one relay per parent collector, not per test)
        hook = config.hook.pytest_pyramid_tier
        ask = self._item_relay if hook.get_hookimpls() else None
        tier_for, record = self._tier_for, self._record_tier
        for item in items:
            nodeid = item.nodeid  # a property: read once
            names = marker_names(item)
            marker_tiers = names & tier_set
            # location[0] is pytest's own (cached) path of the item relative to the rootdir
            rel = item.location[0].replace("\\", "/")
            if rel[:3] == "../":  # collected from outside the rootdir: not this project's test
                facts.outside += 1
            tier = tier_for(item, nodeid, names, marker_tiers, rel, ask, rules, problems)
            if tier is None:
                continue
            tier_of[nodeid] = tier
            collected[tier] += 1
            buckets[tier].append(item)
            record(item, nodeid, tier, names, tier_marks[tier] if not marker_tiers else None)
        if problems:
            raise assignment_failed(problems)
        items[:] = [item for bucket in buckets.values() for item in bucket]

    def _tier_for(self, item: pytest.Item, nodeid: str, names: frozenset[str],
                  marker_tiers: frozenset[str], rel: str, ask: Any, rules: MarkerRules | None,
                  problems: list[str]) -> str | None:
        """A test's tier: its tier marker, the project's hook, the tiers' ``markers`` rules,
        its path, the default tier (None: a problem, added to ``problems``)."""
        by_rule = None
        if not marker_tiers and (ask is not None or rules is not None):
            by_rule = self._rule_tier(item, nodeid, names, ask, rules, problems)
        if by_rule is not None:
            return by_rule
        path_tier = self.router.tier_for(rel) if rel else None
        settings = self.settings
        if not marker_tiers and (path_tier is not None or not settings.strict):
            # the common case, without a call: assign_tier's rule for no marker
            return path_tier if path_tier is not None else settings.default_tier
        try:
            tier = assign_tier(marker_tiers, path_tier, settings.default_tier,
                               strict=settings.strict, nodeid=nodeid)
        except TierAssignmentError as exc:
            problems.append(str(exc))
            return None
        if marker_tiers:
            self._explicit.add(id(item))
        return tier

    def _record_tier(self, item: pytest.Item, nodeid: str, tier: str, names: frozenset[str],
                     tier_mark: pytest.MarkDecorator | None) -> None:
        """What a test's tier puts on it: the stash entry, the tier marker a path-mapped test
        answers ``-m <tier>`` with, the tier's per-test limit (the test's own mark wins) and,
        for a JUnit XML report, the tier as a property."""
        item.stash[TIER_KEY] = tier
        if tier_mark is not None:
            item.add_marker(tier_mark)
        if "timeout" in names:  # the user's own mark wins: the verdict says what it allowed
            self._own_limit(item, nodeid)
            if self.limits.effective.get(tier) is not None:
                self._own_timeout(item, tier)
        elif tier in self._timeout_marks:
            item.add_marker(self._timeout_marks[tier])
        if self._junit:  # the tier in JUnit XML, only when a report is written
            item.user_properties.append(("pyramid.tier", tier))

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


def assignment_failed(problems: list[str]) -> pytest.UsageError:
    """The one error for tests without a tier: the first 20 named, the rest counted."""
    shown = "\n  ".join(problems[:20])
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    return pytest.UsageError(f"pytest-pyramid: tier assignment failed:\n  {shown}{more}")
