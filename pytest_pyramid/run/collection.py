"""What the collecting processes saw, as facts records every xdist worker ships (``run/facts.py``),
and the conftest files that judge the whole run: the records :class:`~pytest_pyramid.run.session.
PyramidSession` fills and the controller unions.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from pytest_pyramid.run.facts import FactsRecord, Policy
from pytest_pyramid.run.param_values import UNREPRODUCIBLE, told_apart
from pytest_pyramid.run.summary import TierStats

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pytest_pyramid.run.summary import Problem

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



def shown_paths(paths: list[str]) -> str:
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
        "loaded_code": "union",
        "distributions": "union",
        # node id -> digest of its parameters' values: one id is one test in every process
        "param_values": "agree",
        "param_disagreed": "union",
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
        #: raw facts: the modules of the project's own packages the processes loaded, where
        #: from and from which unchecked bytecode (``run/loaded.py``: judged at the end)
        self.loaded_code: dict[str, str | None] = {}
        #: raw facts: the installed distributions the processes imported, ``name==version``
        #: -> {record, harness} (``run/distributions.py``: compared by the deploy gate)
        self.distributions: dict[str, dict[str, Any]] = {}
        #: tests collected from outside the rootdir
        self.outside = 0
        #: tier -> test modules skipped at import (counted where reports arrive: the
        #: controller gets the workers' skipped collect reports from xdist; not shipped)
        self.skipped_modules: Counter[str] = Counter()
        #: parametrized node id -> digest of its values (``run/param_values.py``)
        self.param_values: dict[str, str] = {}
        #: node ids two processes collected with other values (hostile case 400)
        self.param_disagreed: list[str] = []
        #: tier -> the widest limit a test set with its own timeout mark (0: lifted)
        self.own_timeouts: dict[str, float] = {}
        #: the tier of each test that was to run, in order (one char per test: the tier's index)
        self.tiers_to_run = ""
        #: in a CI shard: the selection before splitting (digest, counts) and the durations
        self.shard: dict[str, Any] | None = None
        #: in a CI shard: module/class node id -> seconds of shared fixture setup
        self.scope_setup: dict[str, float] = {}

    def record_params(self, items: Iterable[pytest.Item]) -> None:
        """Every parametrized item's values digest (once per item, at collection); in a CI
        shard, its whole selection's were recorded before it kept its part (sharding.py)."""
        if self.shard is None:
            self.param_values = param_digests(items)

    def disagreed(self, name: str, key: str) -> None:
        if key not in self.param_disagreed:
            self.param_disagreed.append(key)

    def problems(self) -> list[Problem]:
        """Test ids that mean other values in another process; with several processes,
        ids whose values have no stable text (which one ran cannot be told)."""
        found: list[Problem] = []
        if self.param_disagreed:
            found.append({"kind": "parameter_values", "message": (
                f"{len(self.param_disagreed)} test id(s) mean other parameter values in "
                f"different xdist workers: {shown_paths(sorted(self.param_disagreed))}; "
                "parametrize over an ordered collection (a list, sorted()): ids= does not "
                "make a set safe (a list of ids is positional too; ids a function makes "
                "follow the set's order, which xdist refuses)")})
        if self.absorbed > 1 or self.shard is not None:
            unstable = sorted(n for n, d in self.param_values.items() if d == UNREPRODUCIBLE)
            if unstable:
                found.append({"kind": "parameter_values", "message": (
                    f"{len(unstable)} parametrized test(s) have values with no stable text "
                    "(an object's address, a text two unequal values share, or too large): "
                    f"{shown_paths(unstable)}; which values each process ran under one id "
                    "cannot be told (ids= names them, it does not make them one): give "
                    "their class a __repr__ that says what it is, or parametrize over plain "
                    "values and build the objects in the test")})
        return found

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


def param_digests(items: Iterable[pytest.Item]) -> dict[str, str]:
    """Node id -> values digest of every parametrized item (``run/param_values.py``): the
    one fact every route (xdist workers, CI shards) compares."""
    tests = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            # the test function the id belongs to: its ids share the values' texts
            function = item.nodeid.removesuffix(f"[{callspec.id}]")
            tests.append((function, item.nodeid, callspec.params))
    return told_apart(tests)


def _stats(tiers: dict[str, TierStats], name: str) -> TierStats:
    return tiers.setdefault(name, TierStats(name))
