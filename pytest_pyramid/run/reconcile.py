"""Reconciliation at collection end and session end: collected = reported, on disk =
collected, and every way a run can cover less of the suite than it seems to, found from what
the run saw. O(tests) once, never per test.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING, Any, NamedTuple

from pytest_pyramid.run.collection import SHOWN, shown_paths

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.aggregate import Aggregator
    from pytest_pyramid.run.collection import CollectionFacts
    from pytest_pyramid.run.inventory import ScanRules
    from pytest_pyramid.run.invocation import Invocation
    from pytest_pyramid.run.limits import LimitPlan
    from pytest_pyramid.run.summary import Problem, RunSummary
    from pytest_pyramid.run.tiers import PathRouter


class Reconciliation:
    """Part of :class:`~pytest_pyramid.run.session.PyramidSession`: what the run covered,
    compared with what was collected and what is on disk (the state is the session's)."""

    config: pytest.Config
    settings: Settings
    selected: frozenset[str]
    distributed: bool
    rootpath: Path
    project_dir: Path
    router: PathRouter
    facts: CollectionFacts
    aggregator: Aggregator
    limits: LimitPlan
    stopped_after: str | None
    narrowing: list[str]
    invocation: Invocation | None
    exclusions: list[dict[str, Any]]
    excluded_tiers: set[str]
    controller_ids: list[str]
    tier_by_index: dict[str, str]
    learned_tiers: dict[str, str]
    tier_of: dict[str, str]
    to_run: list[str]
    _collected_ids: list[str]
    _deselected_ids: set[str]

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


    def _required(self, run: RunSummary) -> tuple[str, ...]:
        if self.settings.release_tiers is not None:
            return tuple(self.settings.release_tiers)
        return tuple(name for name, stats in run.tiers.items()
                     if stats.has_tests or name in self.excluded_tiers)

    def _reconcile(self, run: RunSummary) -> tuple[list[Problem], int]:
        """Collected = reported, and on disk = collected: every way a run can cover less
        of the suite than it seems to, found from what the run saw."""
        facts = self.facts
        problems = self._setup_problems()
        from pytest_pyramid.run.loaded import foreign_problems

        problems.extend(foreign_problems(facts.loaded_code, self.settings.source_paths,
                                         self.project_dir))
        reasons = self._narrowed(run)
        run.filter_reasons.extend(reasons)
        problems.extend({"kind": "narrowed", "message": r} for r in reasons)
        problems.extend(naming(
            "duplicate_ids", facts.duplicate_ids,
            "two or more tests share a node id, so their outcomes cannot all be counted",
            " (give each test its own name)"))

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

    def _setup_problems(self) -> list[Problem]:
        """How the run was set up to cover less: no worker's collection, the project's own
        per-test limits not enforced or replaced, a tier's failure stopping the run."""
        problems: list[Problem] = []
        if self.distributed and not self.facts.absorbed:
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
        return problems

    def _narrowed(self, run: RunSummary) -> list[str]:
        """Every reason fewer tests ran than the suite holds: the invocation's narrowing,
        deselection by others, tests removed, added or collected from outside, ignored
        files that shaped the run."""
        facts = self.facts
        reasons = list(self.narrowing)
        self._addopts_exclusions(run)  # first: what it cannot excuse is deselected elsewhere
        filtered = facts.deselected_elsewhere
        if filtered and not any("-k" in r or "-m" in r or "--lf" in r for r in reasons):
            reasons.append(f"{filtered} test(s) deselected by a plugin, option or conftest")
        if facts.dropped:
            reasons.append(
                f"{facts.dropped} collected test(s) were removed from the run without being "
                f"deselected (by a conftest or plugin hook): {shown_paths(facts.dropped_ids)}"
            )
        if facts.outside:
            reasons.append(f"{facts.outside} test(s) were collected from outside the project "
                           f"directory {self.project_dir}")
        if facts.ignored_sources:
            reasons.append(
                "files that git ignores shaped the run (not part of the tree the verdict "
                f"names): {shown_paths(facts.ignored_sources)}"
            )
        if facts.injected:
            reasons.append(
                f"{facts.injected} test(s) in the run were never collected by pytest "
                "(added or duplicated by a conftest or plugin hook)"
            )
        return reasons

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
        if self.rootpath != self.project_dir:
            return [{
                "kind": "rootdir",
                "message": f"the rootdir {self.rootpath} is not the project directory "
                f"{self.project_dir} (where [tool.pyramid] is): tier paths cannot be judged",
            }]
        from pytest_pyramid.run._git import tree_files

        listing = tree_files(self.project_dir, [""])  # the tree's files, once for both
        stock = self._test_files(listing)
        missing = self._uncollected(run, stock.files)
        absent = [rel for rel in missing if rel in stock.gone]
        problems = gap_problems(stock, absent, [rel for rel in missing if rel not in stock.gone])
        return problems + self._stray_tests(stock.files, listing)

    def _stray_tests(self, known: list[str], listing: list[str] | None) -> list[Problem]:
        """The tree's modules that define tests pytest never looked at: off ``python_files``
        (``test-payments.py``) or outside the scanned folders (``mypkg/tests/``, ``test/``):
        on disk = collected, by the tree's listing, not by folders or name patterns (hostile
        cases 347, 351). Each must be collected, run as code by the run (a helper module
        imported, case 394: not bytes only read), or left out by the project's tracked
        configuration. Once per run: ``listing`` (the tree's files: ``run/_git.py:
        tree_files``), each other ``.py`` file read once (a substring filter, then a syntax
        tree)."""
        from pytest_pyramid.run.inventory import (
            defines_tests,
            named_as_tests,
            why_not_collected,
        )

        seen = self.facts.seen_files
        rules, _ = self._scan_rules()
        ran = self._read_by_run()
        skip = {*known, *seen}
        verify = self._verify_project()
        strays: list[str] = []
        for rel in listing or ():
            if (not rel.endswith(".py") or rel in skip or rel.rsplit("/", 1)[-1] == "conftest.py"
                    or (verify and rel.startswith(verify))
                    or (rules.exclude and rules.exclude(rel))
                    or (self.router.tier_for(rel) or self.settings.default_tier)
                    not in self.selected):
                continue
            path = self.project_dir / rel
            if os.path.realpath(path) in ran:
                continue
            try:
                if defines_tests(path.read_bytes(), functions=named_as_tests(rel, rules),
                                 function_names=rules.python_functions,
                                 class_names=rules.python_classes):
                    strays.append(rel)
            except OSError:
                continue  # gone from the workspace: the tree's listing is judged elsewhere
        own = self._own_exclusions(strays, seen)
        by_reason: dict[str, list[str]] = {}
        for rel in strays:
            if rel not in own:
                by_reason.setdefault(why_not_collected(rel, rules), []).append(rel)
        return [{"kind": "files_not_collected", "message": f"{len(paths)} file(s) in the tree "
                 f"define tests that never ran: {shown_paths(paths)} ({why}; list files that "
                 "are not part of the suite in [tool.pyramid] exclude)"}
                for why, paths in sorted(by_reason.items())]

    def _verify_project(self) -> str:
        """The folder of the deploy's verify tier (``[tool.pyramid.deploy.verify] project``,
        ``folder/``): its own pytest project, whose tests the deploy runs against each new
        version (docs/deploy.md), not this run; "" when the verify tier is this project's."""
        verify = self.settings.raw.get("deploy", {}).get("verify", {})
        folder = verify.get("project", ".") if isinstance(verify, dict) else "."
        folder = os.path.normpath(str(folder)).replace(os.sep, "/")
        return "" if folder in (".", "") or folder.startswith("..") else f"{folder}/"

    def _read_by_run(self) -> set[str]:
        """The files the run's processes ran as code: imported or executed (real paths).
        Bytes only read (a licence-header test over every tracked ``.py``, ``py_compile``)
        vouch for nothing: a file defining tests that the run only read is still a test file
        pytest never collected (hostile case 394)."""
        from pytest_pyramid.run.collection import facts_registry
        from pytest_pyramid.run.imported import CodeFacts

        ran: set[str] = set()
        for record in facts_registry(self.config).values():
            if isinstance(record, CodeFacts):  # the closed world's (not imported: a cycle)
                ran.update(record.imported)
        return ran

    def _scan_rules(self) -> tuple[ScanRules, ScanRules]:
        """How the project's pytest finds test files (rules for the test paths), and the same
        for the tiers' folders (virtualenvs there are scanned too)."""
        from pytest_pyramid.run.inventory import ScanRules

        config = self.config
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
            python_functions=tuple(config.getini("python_functions")),
            python_classes=tuple(config.getini("python_classes")),
        )
        tier_rules = ScanRules(python_files=python_files, collect_in_virtualenv=True,
                               exclude=excluded if patterns else None)
        return project_rules, tier_rules

    def _test_files(self, listing: list[str] | None) -> SuiteFiles:
        """The suite's test files: on disk under the tiers' folders and the test paths, and
        what the tree digest names there (gone from the workspace, or submodules not
        checked out; ``listing``: the tree's files)."""
        from pytest_pyramid.run._git import files_under
        from pytest_pyramid.run.inventory import is_test_file, scan, scan_roots, tier_roots

        project_rules, tier_rules = self._scan_rules()
        tier_paths = [p for spec in self.settings.tiers.values() for p in spec.paths]
        testpaths = [str(p) for p in self.config.getini("testpaths")]
        roots = tier_roots(tier_paths)
        in_tiers = scan(self.project_dir, roots, tier_rules)
        elsewhere = scan(self.project_dir, scan_roots(testpaths), project_rules)
        # what the tree digest names under the tiers' folders, wherever it is: a tracked file
        # outside a sparse checkout, or one in a hidden folder the walk does not enter
        listed = files_under(self.project_dir, roots, listing) or ()
        named = [rel for rel in listed if is_test_file(rel, tier_rules)]
        # a path git lists that is a folder is a gitlink: without a checkout in it (a
        # submodule never initialised) its tests are not in the workspace either
        unfetched = [rel for rel in listed if (self.project_dir / rel).is_dir()
                     and not (self.project_dir / rel / ".git").exists()]
        gone = {rel for rel in named if not os.path.lexists(self.project_dir / rel)}
        return SuiteFiles(files=sorted({*in_tiers.files, *elsewhere.files, *named}), gone=gone,
                         unfetched=unfetched,
                         truncated=in_tiers.truncated or elsewhere.truncated)

    def _uncollected(self, run: RunSummary, files: list[str]) -> list[str]:
        """The test files of selected tiers the run never collected (each tier's count of
        files on disk is recorded on the way; the project's own exclusions are listed)."""
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
        return missing

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


def naming(kind: str, paths: list[str], what: str, advice: str = "") -> list[Problem]:
    """One problem naming ``paths`` (the first few), or none when there are none."""
    if not paths:
        return []
    return [{"kind": kind, "message": f"{what}: {shown_paths(paths)}{advice}"}]


class SuiteFiles(NamedTuple):
    """The suite's test files as found (rootdir-relative)."""

    files: list[str]
    #: named by the tree digest, not in the workspace (a sparse or partial checkout)
    gone: set[str]
    #: submodules under a tier's folder that are not checked out
    unfetched: list[str]
    #: too many files to take stock of
    truncated: bool


def gap_problems(stock: SuiteFiles, absent: list[str], missing: list[str]) -> list[Problem]:
    """The completeness problems of test files the run did not collect: submodules not
    checked out, tracked files not in the workspace, files on disk not collected."""
    problems: list[Problem] = []
    if stock.unfetched:
        problems.append({
            "kind": "files_not_collected",
            "message": f"{len(stock.unfetched)} submodule(s) under a tier's folder are not "
            f"checked out: {shown_paths(stock.unfetched)} (clone with --recurse-submodules: "
            "the tests of the commit they pin did not run)",
        })
    if absent:
        problems.append({
            "kind": "files_not_collected",
            "message": f"{len(absent)} tracked test file(s) are not in the workspace: "
            f"{shown_paths(absent)} (a sparse or partial checkout: the commit's tests did not "
            "all run)",
        })
    if missing:
        problems.append({
            "kind": "files_not_collected",
            "message": f"{len(missing)} test file(s) on disk were not collected: "
            f"{shown_paths(missing)} (ignored, or outside the collected paths; list files "
            "that are not part of the suite in [tool.pyramid] exclude)",
        })
    if stock.truncated:
        problems.append({"kind": "inventory", "message": "too many files to take stock of "
                         "the suite's test files; set testpaths"})
    return problems
