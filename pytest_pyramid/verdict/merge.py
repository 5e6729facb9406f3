"""``pyramid merge``: N shards' partial results judged once, as one unsharded run would be.

First the set is checked (:func:`check_set`): every partial of one split of one selection,
on one tree with one configuration, from one CI run. What cannot be part of one run is
refused (:class:`MergeRefused`, exit 3): another commit, tree, configuration, selection or
run, shards that overlap (one that ran everything included), a copy of a partial given
twice, or shards whose tests do not add up to the selection. What is merely missing (a
shard that never wrote its partial, or died) makes the verdict ``incomplete`` and names it.
The same shard twice is a CI retry: the later attempt counts, the shard is listed as
retried, and each test keeps the replaced tries' attempts as its earlier attempts, in the
order they ran (``run/summary.py: retried_attempts``): a test that failed in a replaced try
and passed in the one that counts is flaky, and the flake ledger sees every attempt.

Then the shards' records are folded into one :class:`~pytest_pyramid.run.summary.RunSummary`
(the same fold an unsharded run ends with), the gate engine and the coverage gates judge
it (coverage on the combined data files, metrics on the merged raw samples, budgets on the
summed test time), and the one decision rule decides (``verdict/assemble.py``).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import PyramidError, VerdictError
from pytest_pyramid.run.shard import selection_digest
from pytest_pyramid.run.summary import (
    MetricSample,
    RunSummary,
    TestOutcome,
    TierStats,
    earlier_attempts,
    failed_attempts,
    retried_attempts,
)
from pytest_pyramid.verdict.partial import load_partial
from pytest_pyramid.verdict.records import arrival_from

if TYPE_CHECKING:
    from pytest_pyramid.config import Settings
    from pytest_pyramid.results import GateResult
    from pytest_pyramid.run.imported import CodeSeen
    from pytest_pyramid.run.summary import Problem
    from pytest_pyramid.verdict.document import Verdict
    from pytest_pyramid.verdict.provenance import GitInfo

PARTIAL_GLOB = "pyramid-partial-*-of-*.json"
#: how many node ids a refusal names
SHOWN = 3


class MergeRefused(PyramidError):
    """Partial results that cannot be one run: the merge writes no judgement of them."""


@dataclass
class Partial:
    path: Path
    data: dict[str, Any]

    @property
    def index(self) -> int:
        return int(self.data["shard"]["index"])

    @property
    def total(self) -> int:
        return int(self.data["shard"]["total"])

    @property
    def finished(self) -> bool:
        return bool(self.data.get("finished"))

    @property
    def label(self) -> str:
        return f"{self.index}/{self.total}"

    @property
    def named(self) -> str:
        return f"shard {self.label} ({self.path.name})"

    @property
    def attempt_id(self) -> str:
        return str(self.data["attempt"]["id"])

    @property
    def when(self) -> float:
        return float(self.data["attempt"]["finished"])

    def nodeids(self) -> list[str]:
        """Every test this shard was given: those that reported and those that did not."""
        ids = [entry["nodeid"] for entry in self.data.get("tests", [])]
        ids.extend(entry["nodeid"] for entry in self.data.get("not_reported", []))
        return ids


def expand(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a directory stands for every partial below it."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(path.rglob(PARTIAL_GLOB))
            if not inside:
                raise MergeRefused(f"{path}: no {PARTIAL_GLOB} in this directory")
            found.extend(inside)
        else:
            found.append(path)
    return found


def load_partials(paths: Sequence[str | Path]) -> list[Partial]:
    files = expand(paths)
    if not files:
        raise MergeRefused("no partial results given")
    partials = []
    for path in files:
        try:
            partials.append(Partial(path, load_partial(path)))
        except VerdictError as exc:
            raise MergeRefused(str(exc)) from None
    return partials


@dataclass
class ShardSet:
    """The checked set: the attempt that counts per shard, and what is missing."""

    total: int
    chosen: dict[int, Partial]
    #: earlier attempts of retried shards, per shard
    retried: dict[int, list[Partial]] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    #: shards whose (last) attempt did not finish
    unfinished: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: node id -> outcomes of its earlier tries that differ from the one that counts
    changed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def finished(self) -> list[Partial]:
        return [p for _, p in sorted(self.chosen.items()) if p.finished]

    @property
    def reference(self) -> Partial | None:
        finished = self.finished
        return finished[0] if finished else None


def _short(value: object) -> str:
    text = "none" if value is None else str(value)
    return text.removeprefix("sha256:")[:12]


#: (what every shard of one run shares, what a difference means)
_IDENTITY: tuple[tuple[str, str], ...] = (
    ("commit", "is from another commit"),
    ("project", "is of another project (another folder of the repository)"),
    ("tree", "tested another tree (the working tree differed)"),
    ("config", "ran with another [tool.pyramid] configuration"),
    ("selection", "split another selection (other tests were collected, selected or "
                  "filtered)"),
    ("selected_tiers", "selected other tiers"),
    # hostile case 400: one node id, other parameter values (a parametrize over a set, whose
    # order follows each process's hash seed): a value may have run in no shard
    ("values", "collected other parameter values under the same test ids (parametrize "
               "over an ordered collection: a list, sorted(); a list of ids= is "
               "positional too)"),
    # hostile cases 353, 359: a CI matrix's legs share the workflow's run id; a passing leg's
    # shards are no later attempts of a failing leg's, and halves of two legs are no suite
    ("environment", "ran in another environment (a matrix leg of its own: another "
                    "interpreter or other installed distributions)"),
    ("pytest", "ran under another pytest"),
)


def _identity(partial: Partial, key: str) -> object:
    data = partial.data
    if key == "tree":
        return data["tree"]["digest"]
    if key == "config":
        return data["config"]["digest"]
    if key == "selection":
        return data["selection"]["digest"]
    if key == "selected_tiers":
        return tuple(data["selection"]["selected_tiers"])
    if key == "values":
        return data["selection"].get("values")
    return data.get(key)


def _describe(partial: Partial, key: str) -> str:
    value = _identity(partial, key)
    if key == "selection":
        count = partial.data["selection"]["count"]
        return f"{_short(value)}, {count} tests"
    if key == "selected_tiers":
        return ", ".join(value) if isinstance(value, tuple) else str(value)
    if key == "environment" and isinstance(value, dict):
        return (f"{value.get('implementation')} {value.get('python')} on "
                f"{value.get('platform')}, distributions {_short(value.get('distributions'))}")
    return _short(value)


def _check_run_id(partial: Partial, named: str | None) -> None:
    """Shards that carry no CI run id are one run only when the merge is told which:
    ``null == null`` says nothing (two local runs, or a CI that exports no id)."""
    carried = partial.data.get("run_id")
    if carried is None and named is None:
        raise MergeRefused(
            f"{partial.named} carries no CI run id (run_id is null on every shard): nothing "
            "says the partials are one run; set PYRAMID_RUN_ID for the shards and the merge, "
            "or name the run with pyramid merge --run-id ID"
        )
    if carried is not None and named is not None and carried != named:
        raise MergeRefused(
            f"{partial.named} is from CI run {carried}, but the merge was told run {named} "
            "(--run-id or PYRAMID_RUN_ID)"
        )


def check_set(partials: Sequence[Partial], run_id: str | None = None) -> ShardSet:
    """Check that the partials are shards of one run; :class:`MergeRefused` says why not.
    ``run_id``: the run the merge was told (``--run-id`` or ``PYRAMID_RUN_ID``)."""
    if not partials:
        raise MergeRefused("no partial results given")
    totals = Counter(p.total for p in partials)
    if len(totals) > 1:
        (common, _), *_ = totals.most_common()
        odd = next(p for p in partials if p.total != common)
        raise MergeRefused(
            f"{odd.named} is one of {odd.total} shards, the others of {common}: partials of "
            "different splits"
        )
    total = partials[0].total
    for partial in partials:
        if partial.index > total:
            raise MergeRefused(f"{partial.named}: shard {partial.index} of only {total}")
    runs = {p.data.get("run_id") for p in partials}
    if len(runs) > 1:
        first = partials[0]
        odd = next(p for p in partials if p.data.get("run_id") != first.data.get("run_id"))
        raise MergeRefused(
            f"{odd.named} is from another CI run ({odd.data.get('run_id') or 'no run id'}) "
            f"than {first.named} ({first.data.get('run_id') or 'no run id'})"
        )
    _check_run_id(partials[0], run_id)
    finished = [p for p in partials if p.finished]
    if finished:
        first = finished[0]
        for key, meaning in _IDENTITY:
            for other in finished[1:]:
                if _identity(other, key) != _identity(first, key):
                    raise MergeRefused(
                        f"{other.named} {meaning}: {_describe(other, key)} against "
                        f"{_describe(first, key)} of {first.named}"
                    )
    seen: dict[str, Partial] = {}
    attempts: dict[int, list[Partial]] = {}
    for partial in partials:
        twin = seen.get(partial.attempt_id)
        if twin is not None:
            raise MergeRefused(
                f"{partial.path} and {twin.path} are the same attempt of shard {partial.label} "
                "(one partial given twice): a duplicate is not a retry"
            )
        seen[partial.attempt_id] = partial
        attempts.setdefault(partial.index, []).append(partial)
    shard_set = ShardSet(total=total, chosen={})
    for index, tries in sorted(attempts.items()):
        chosen = max(tries, key=lambda p: p.when)  # the later attempt counts
        shard_set.chosen[index] = chosen
        earlier = [p for p in tries if p is not chosen]
        if earlier:
            shard_set.retried[index] = earlier
            _compare_attempts(chosen, earlier, shard_set)
    _check_disjoint(shard_set)
    _missing(shard_set)
    return shard_set


def check_project(shard_set: ShardSet, project: str | None, configuration: Path) -> None:
    """The shards ran the project the merge speaks for: a monorepo's projects share commits
    and trees, so only the recorded folder tells ``a/``'s shards from ``b/``'s (case 126)."""
    for partial in shard_set.finished:
        theirs = partial.data.get("project")
        if theirs != project:
            raise MergeRefused(
                f"{partial.named} ran project {theirs!r}, not {project!r}, the project of "
                f"{configuration} that this merge judges for (merge where the shards ran)"
            )


def _compare_attempts(chosen: Partial, earlier: list[Partial], shard_set: ShardSet) -> None:
    """A retry must be the same shard of the same split; the tests whose outcome changed are
    listed (``shards.changed_outcome``; each try's attempts are kept by the fold)."""
    if not chosen.finished:
        return
    mine = sorted(chosen.nodeids())
    outcomes = {entry["nodeid"]: entry["outcome"] for entry in chosen.data["tests"]}
    for attempt in earlier:
        if not attempt.finished:
            continue
        if sorted(attempt.nodeids()) != mine:
            raise MergeRefused(
                f"two attempts of shard {chosen.label} ran different tests ({attempt.path}, "
                f"{chosen.path}): they were split differently"
            )
        for entry in attempt.data["tests"]:
            now = outcomes.get(entry["nodeid"])
            if now is not None and now != entry["outcome"]:
                shard_set.changed.setdefault(entry["nodeid"], []).append(entry["outcome"])


def _replaced_tries(tries: list[Partial]) -> list[dict[str, Any]]:
    """Each replaced try of a shard, in the order they ran: node id -> its record (an
    unfinished try reported none). Their attempts come before the counted try's."""
    return [{entry["nodeid"]: entry for entry in attempt.data["tests"]}
            if attempt.finished else {} for attempt in sorted(tries, key=lambda p: p.when)]


def _check_disjoint(shard_set: ShardSet) -> None:
    owner: dict[str, Partial] = {}
    for partial in shard_set.finished:
        ids = partial.nodeids()
        selection = partial.data["selection"]
        units = int(selection.get("units", 0))
        whole = len(ids) == selection["count"] and selection_digest(ids) == selection["digest"]
        if shard_set.total > 1 and units > 1 and whole:
            raise MergeRefused(
                f"{partial.named} ran the whole selection ({len(ids)} tests) although it is "
                f"one of {shard_set.total} shards: it did not split, so the other shards' "
                "tests ran twice"
            )
        clashes: dict[int, list[str]] = {}
        for nodeid in ids:
            other = owner.get(nodeid)
            if other is not None and other is not partial:
                clashes.setdefault(other.index, []).append(nodeid)
            else:
                owner[nodeid] = partial
        if clashes:
            index, shared = next(iter(sorted(clashes.items())))
            other = shard_set.chosen[index]
            durations = {
                _short(p.data["selection"]["durations_digest"]) for p in (partial, other)
            }
            hint = (f"; they were split by different durations files ({', '.join(durations)})"
                    if len(durations) > 1 else "")
            raise MergeRefused(
                f"{partial.named} and {other.named} overlap: both ran {len(shared)} test(s), "
                f"e.g. {', '.join(shared[:SHOWN])}{hint}"
            )
    reference = shard_set.reference
    complete = len(shard_set.finished) == shard_set.total
    if reference is not None and complete:
        union = list(owner)
        selection = reference.data["selection"]
        if selection_digest(union) != selection["digest"]:
            left = int(selection["count"]) - len(union)
            durations = {_short(p.data["selection"]["durations_digest"])
                         for p in shard_set.finished}
            hint = (f" (the shards were split by different durations files: "
                    f"{', '.join(sorted(durations))})" if len(durations) > 1 else "")
            what = (f"{left} test(s) of the selection ran in no shard" if left > 0
                    else "they are not the tests of the selection")
            raise MergeRefused(
                f"the {shard_set.total} shards' tests do not add up to the selection of "
                f"{selection['count']} tests: {what}{hint}"
            )


def _missing(shard_set: ShardSet) -> None:
    for index in range(1, shard_set.total + 1):
        partial = shard_set.chosen.get(index)
        if partial is None:
            shard_set.missing.append(index)
            shard_set.problems.append({
                "kind": "missing_shard",
                "message": f"shard {index} of {shard_set.total} is missing (no partial "
                "result): its tests are not in this verdict",
            })
        elif not partial.finished:
            shard_set.unfinished.append(index)
            why = "; ".join(p["message"] for p in partial.data.get("completeness", []))
            shard_set.problems.append({
                "kind": "missing_shard",
                "message": f"shard {index} of {shard_set.total} did not finish "
                f"({why or 'no reason given'}): its tests are not in this verdict",
            })


# -- the merged run ------------------------------------------------------------------------


def merged_run(shard_set: ShardSet, settings: Settings, project_dir: Path) -> RunSummary:
    """One RunSummary from the shards, folded as an unsharded run folds its reports."""
    from pytest_pyramid.run.aggregate import Aggregator

    finished = shard_set.finished
    reference = shard_set.reference
    selected = tuple(reference.data["selection"]["selected_tiers"]) if reference else ()
    run = RunSummary(
        tiers={
            name: TierStats(name, selected=name in selected, budget_s=spec.budget)
            for name, spec in settings.tiers.items()
        },
        selected_tiers=tuple(t for t in settings.tiers if t in selected),
        rootdir=str(project_dir),
    )
    assigned: Counter[str] = Counter()
    for partial in finished:
        for name, entry in partial.data["tiers"].items():
            stats = run.tiers.setdefault(name, TierStats(name, selected=entry["selected"]))
            if partial is reference:  # every shard collected the whole suite alike
                stats.collected = entry["collected"]
                stats.deselected = entry["deselected"]
                stats.paths_not_collected = entry["paths_not_collected"]
                stats.files_on_disk = entry["files_on_disk"]
                stats.skipped_modules = entry["skipped_modules"]
            stats.never_ran += entry["never_ran"]
            stats.test_time_s += entry["test_time_s"]
            wall = float(entry["wall_time_s"])
            if wall and (stats.last_stop is None or wall > stats.last_stop):
                # the tier's wall time is the critical path: the longest shard's
                stats.first_start, stats.last_stop = 0.0, wall
            for slow in entry["slowest"]:
                stats.offer_slow(slow["nodeid"], float(slow["duration_s"]))
        outcomes = run.outcomes
        mine: set[str] = set()
        replaced = _replaced_tries(shard_set.retried.get(partial.index, []))
        for entry in partial.data["tests"]:  # 50,000 records: the loop is kept lean
            nodeid, tier, outcome = entry["nodeid"], entry["tier"], entry["outcome"]
            finished_test = outcome != "unfinished"
            setup, call, teardown = entry["setup_s"], entry["call_s"], entry["teardown_s"]
            if nodeid in mine:  # items sharing a node id in this shard: each counts once
                run.repeated.append(outcomes[nodeid])
            mine.add(nodeid)
            earlier = (retried_attempts([t.get(nodeid) for t in replaced], entry) if replaced
                       else earlier_attempts(entry) if "reruns" in entry
                       or "earlier_attempts" in entry else ())
            outcomes[nodeid] = TestOutcome(
                nodeid, tier, outcome if finished_test else "passed", setup + call + teardown,
                failed_attempts(earlier), finished_test, setup, call, teardown, 0.0, 0.0,
                entry.get("message", ""),
                arrival_from(entry) if "arrival" in entry else None, earlier,
                entry.get("fixture_failure", ""),
            )
            assigned[tier] += 1
        for entry in partial.data["not_reported"]:
            assigned[entry["tier"]] += 1
    Aggregator(run).finish()
    if reference is not None and (shard_set.missing or shard_set.unfinished):
        for tier, count in reference.data["selection"]["tiers"].items():
            left = int(count) - assigned.get(tier, 0)
            if left > 0 and tier in run.tiers:
                run.tiers[tier].never_ran += left
    run.metrics = [
        MetricSample(s["name"], float(s["value"]), s["tier"], s["nodeid"],
                     tuple(s.get("tags", {}).items()))
        for partial in finished for s in partial.data["metrics"]
    ]
    run.metrics.sort(key=lambda sample: sample.nodeid)  # stable: a test's own order is kept
    run.metrics_discarded = [
        (str(a), str(b), str(c)) for partial in finished
        for a, b, c in partial.data["metrics_discarded"]
    ]
    reasons: list[str] = []
    for partial in finished:
        for reason in partial.data["run"]["filtered"]:
            if reason not in reasons:
                reasons.append(reason)
    run.filter_reasons = reasons
    # pytest's own failure count against the judged reports (the tests.pytest_status gate):
    # each shard's difference adds up, collection errors seen by every shard included
    run.failed_reports = sum(int(p.data["run"]["failed_reports"]) for p in finished)
    run.pytest_failures = sum(int(p.data["run"]["tests_failed"]) for p in finished)
    run.collection_errors = sum(int(p.data["run"]["collection_errors"]) for p in finished)
    run.workers = sum(int(p.data["run"]["workers"]) for p in finished)
    run.duration_s = max((float(p.data["run"]["duration_s"]) for p in finished), default=0.0)
    run.exitstatus = worst_exit([int(p.data["run"]["exitstatus"]) for p in finished])
    return run


def worst_exit(statuses: Sequence[int]) -> int:
    """pytest's exit status of the shards together: an interruption or error outranks
    failed tests, which outrank a clean run (an empty shard exits 0 already)."""
    rank = {2: 5, 3: 4, 4: 3, 1: 2, 5: 1, 0: 0}
    return max(statuses, key=lambda s: (rank.get(s, 6), s), default=0)


def shard_problems(shard_set: ShardSet) -> list[Problem]:
    """The shards' own completeness problems, each once (a problem every shard reports,
    such as a test file on disk that no shard collected, is not repeated N times)."""
    from pytest_pyramid.verdict.assemble import said_once

    found: dict[tuple[str, str], list[str]] = {}
    for partial in shard_set.finished:
        for problem in partial.data["completeness"]:
            found.setdefault((problem["kind"], problem["message"]), []).append(partial.label)
    return [*shard_set.problems, *said_once(found, len(shard_set.finished))]


# -- the shards' raw facts, judged again ---------------------------------------------------


def tracked_diff_base(project_dir: Path) -> str | None:
    """``--pyramid-diff-base`` as the project's own tracked pytest configuration sets it (its
    ``pyramid_diff_base`` ini value, or the option in its ``addopts``); None: the gates'
    ``[tool.pyramid.coverage] base`` / ``[tool.pyramid.risk] base`` decide."""
    from pytest_pyramid.project import pytest_ini
    from pytest_pyramid.run.invocation import addopts_text, git_tracked

    found = pytest_ini(project_dir)
    if found is None or not git_tracked([project_dir / found[0]], project_dir):
        return None
    args = addopts_text(found[1].get("addopts"))
    value: str | None = None
    for index, arg in enumerate(args):
        if arg.startswith("--pyramid-diff-base="):
            value = arg.partition("=")[2]
        elif arg == "--pyramid-diff-base" and index + 1 < len(args):
            value = args[index + 1]
    ini = found[1].get("pyramid_diff_base")
    return value if value is not None else (str(ini) if ini else None)


def diff_base_problems(shard_set: ShardSet, base: str | None) -> list[Problem]:
    """A shard whose changed lines were judged against another base than the merge's: its
    share of the run was not judged as the merged verdict says."""
    by_value: dict[str | None, list[str]] = {}
    for partial in shard_set.finished:
        value = partial.data.get("diff_base")
        if value != base:
            by_value.setdefault(None if value is None else str(value), []).append(partial.label)

    def said(value: str | None) -> str:
        return "the configured base" if value is None else f"diff base {value!r}"

    return [{"kind": "narrowed", "message": f"shard {', '.join(labels)} judged changed lines "
             f"against {said(value)}, the merge against {said(base)} (the project's tracked "
             "configuration, or pyramid merge --diff-base)"}
            for value, labels in sorted(by_value.items(), key=lambda item: str(item[0]))]


def shard_invocations(
    shard_set: ShardSet, project_dir: Path, settings: Settings, diff_base: str | None = None
) -> list[tuple[str, Mapping[str, Any] | None, Sequence[str]]]:
    """Every shard's recorded invocation, and the merge's own, to be judged by the writer's
    check (``verdict/assemble.py: invocation_problems``). What a record claims for itself is
    not taken: a source is the project's own only when it is the configuration file's
    addopts, git tracks that file here (the tree the shards tested) and the addopts are what
    it says; the allow list is the merge's configuration's, honoured only when tracked."""
    from pytest_pyramid.project import pytest_ini
    from pytest_pyramid.run.invocation import git_tracked

    found = pytest_ini(project_dir)
    ini_file, ini = (found[0], found[1]) if found is not None else (None, {})
    settings_file = Path(settings.source)
    files = [settings_file] + ([project_dir / ini_file] if ini_file else [])
    tracked = git_tracked(files, project_dir)
    allow = list(settings.allow_options) if settings_file in tracked else []
    own_addopts, own_files = _own_addopts(project_dir, ini_file, ini, tracked)
    judged: list[tuple[str, Mapping[str, Any] | None, Sequence[str]]] = []
    for partial in shard_set.finished:
        record = partial.data.get("invocation")
        if isinstance(record, Mapping):
            record = _own_sources(record, own_addopts, own_files)
        judged.append((f"shard {partial.label}", record, allow))
    judged.append(("pyramid merge", merge_invocation(project_dir, diff_base), allow))
    return judged


def _own_addopts(project_dir: Path, ini_file: str | None, ini: Mapping[str, Any],
                 tracked: set[Path]) -> tuple[list[str] | None, list[tuple[str, list[str]]]]:
    """The tracked addopts' words and the argsfiles they name that git tracks here, each as
    (file, lines), by the walk a run does (``run/invocation.py: split_argsfiles``)."""
    from pytest_pyramid.run.invocation import (
        addopts_text,
        git_tracked,
        inside,
        split_argsfiles,
    )

    if not ini_file or project_dir / ini_file not in tracked:
        return None, []
    words, argsfiles = split_argsfiles(addopts_text(ini.get("addopts")), project_dir)
    paths = {s.file: project_dir / s.file for s in argsfiles if s.file is not None
             and inside(project_dir / s.file, project_dir)}
    held = git_tracked(list(paths.values()), project_dir)
    return words, [(s.file, s.args) for s in argsfiles
                   if s.file is not None and paths.get(s.file) in held]


def _own_sources(record: Mapping[str, Any], own_addopts: list[str] | None,
                 own_files: Sequence[tuple[str, list[str]]] = ()) -> dict[str, Any]:
    """``record`` with each source's ``own`` decided here, not as the shard claims."""
    from pytest_pyramid.run.invocation import ADDOPTS_ARGSFILE

    checked = dict(record)
    sources = record.get("sources")
    if isinstance(sources, list):
        checked["sources"] = [
            {**source, "own": (source.get("source") == "addopts"
                               and own_addopts is not None and source.get("args") == own_addopts)
             or (str(source.get("source")).startswith(ADDOPTS_ARGSFILE)
                 and (source.get("file"), source.get("args")) in own_files)}
            if isinstance(source, Mapping) else source
            for source in sources
        ]
    return checked


def merge_invocation(project_dir: Path, diff_base: str | None = None) -> dict[str, Any]:
    """What reached ``pyramid merge`` itself: its command line, the ``PYTEST_*``/``PYTHON*``
    environment (it imports the project's conftests and plugins to judge their gates) and
    the interpreter's flags, recorded and judged as a run's are. Its ``--diff-base`` is the
    run's ``--pyramid-diff-base`` (judged as that option: another base judges other lines)."""
    import sys

    from pytest_pyramid.run.invocation import (
        RECORD_VARIABLE,
        environment_of,
        interpreter_record,
        started_by_run,
    )

    return {
        "sources": [{"source": "pyramid merge", "args": [str(a) for a in sys.argv[1:]],
                     "own": False}],
        "settings": [] if diff_base is None else [{
            "option": "--diff-base", "names": ["--pyramid-diff-base"],
            "dest": "pyramid_diff_base", "value": diff_base, "source": "pyramid merge",
            "class": "judgement-changing", "own": False}],
        "environment": environment_of(os.environ),
        # a command runs no project code before it reads its environment: nothing set later
        "environment_later": {},
        "interpreter": interpreter_record(),
        "repository": str(project_dir),
        "exclusions": [],
        # no plugin manager runs here: the shards' records name the plugins that ran tests
        "plugins": [],
        "plugins_declared": [],
        # the merge collects nothing: no --lf, --confcutdir or -c (the shards' carry theirs)
        "narrowing": {},
        # the merge never replaces the variable: what it holds is what it inherited
        "started_by_run": started_by_run(os.environ.get(RECORD_VARIABLE)),
        # the merge runs no tests: its own code reads what the table judges
        "environment_read": [],
    }


def merged_invocation_record(
    invocations: Sequence[tuple[str, Mapping[str, Any] | None, Sequence[str]]],
) -> dict[str, Any]:
    """The merged verdict's ``run.invocation``: the merge's own, each shard's as recorded
    (null: none), and the project's own exclusions any shard listed."""
    mine = next((r for label, r, _ in invocations if label == "pyramid merge"), None)
    own: dict[str, Any] = dict(mine) if mine is not None else {}
    shards = {label.removeprefix("shard "): record for label, record, _ in invocations
              if label != "pyramid merge"}
    exclusions: list[Any] = []
    for record in shards.values():
        listed = record.get("exclusions") if isinstance(record, Mapping) else None
        for entry in listed if isinstance(listed, list) else []:
            if entry not in exclusions:
                exclusions.append(entry)
    # a shard a live recording run started makes the whole merged verdict that run's
    # evidence (verdict/trust.py: nested_problem); a shard without a record makes the
    # merged verdict incomplete already (its environment is not judged)
    nested = own.get("started_by_run") is True or any(
        isinstance(record, Mapping) and record.get("started_by_run") is True
        for record in shards.values())
    return {**own, "exclusions": exclusions, "shards": shards, "started_by_run": nested}


def merged_code(shard_set: ShardSet, toplevel: str | None, project_dir: Path,
                source_paths: Sequence[str] = ()) -> tuple[CodeSeen | None, list[Problem]]:
    """The union of every shard's closed world (raw facts), placed in the merge's checkout,
    for the writer's check (``verdict/assemble.py: closed_world_problems``); the same file
    read with different bytes by two shards is a finding (``CodeSeen.update``). A shard
    without these facts, or whose facts do not list the files its own tests came from, is
    not vouched for. The modules of the project's packages each shard loaded are judged
    again by the writer's function (``run/loaded.py: foreign_problems``), with the merge's
    ``source_paths`` and checkout."""
    from pytest_pyramid.run.imported import CodeFacts, CodeSeen
    from pytest_pyramid.run.unfollowed import placed

    if toplevel is None:
        return None, []
    root = os.path.realpath(toplevel)
    seen = CodeSeen()
    union = CodeFacts(seen)  # the policy xdist workers' records are combined by
    problems = _loaded_problems(shard_set, project_dir, source_paths)
    for partial in shard_set.finished:
        facts = partial.data.get("closed_world")
        files = facts.get("files") if isinstance(facts, Mapping) else None
        unverifiable = facts.get("unverifiable") if isinstance(facts, Mapping) else None
        if not isinstance(files, Mapping) or not isinstance(unverifiable, Mapping):
            problems.append({"kind": "closed_world", "message": f"{partial.named} carries no "
                             "closed-world facts (a partial of an older version, or an edited "
                             "one): the code it ran is not named"})
            continue
        union.absorb({"files": {os.path.join(root, str(k)): str(v) for k, v in files.items()},
                      "unverifiable": {placed(str(k), lambda p: os.path.join(root, p)): str(v)
                                       for k, v in unverifiable.items()}})
        unlisted = _unlisted_test_files(partial, files, root, project_dir)
        if unlisted:
            problems.append({"kind": "closed_world", "message": f"{partial.named}: its "
                             "closed-world facts do not list the files its tests were "
                             f"collected from ({', '.join(unlisted[:SHOWN])}): the code it ran "
                             "is not named"})
    return seen, problems


def merged_distributions(shard_set: ShardSet) -> list[dict[str, Any]] | None:
    """The installed distributions every shard imported (``run/distributions.py``), the
    union (two versions two shards ran on are both kept: the gate names the one a release
    lacks); None when a shard did not record them (the deploy gate then says the check was
    not evaluated: a union missing a shard would claim less than was tested)."""
    from pytest_pyramid.run.distributions import listed

    union: dict[str, Any] = {}
    for partial in shard_set.finished:
        facts = partial.data.get("closed_world")
        found = facts.get("distributions") if isinstance(facts, Mapping) else None
        if not isinstance(found, Mapping):
            return None
        union = {**found, **union}
    return listed(union)


def _loaded_problems(shard_set: ShardSet, project_dir: Path,
                     source_paths: Sequence[str]) -> list[Problem]:
    """Each shard's loaded modules judged as its own run judged them (so the same finding
    reads the same and is said once; a partial edited to drop it still names it)."""
    from pytest_pyramid.run.loaded import foreign_problems
    from pytest_pyramid.verdict.assemble import said_once

    found: dict[tuple[str, str], list[str]] = {}
    for partial in shard_set.finished:
        facts = partial.data.get("closed_world")
        if not isinstance(facts, Mapping):
            continue  # named once already: no closed-world facts at all
        for problem in foreign_problems(facts.get("loaded"), source_paths, project_dir):
            found.setdefault((problem["kind"], problem["message"]), []).append(partial.label)
    return said_once(found, len(shard_set.finished))


def _unlisted_test_files(partial: Partial, files: Mapping[str, object], root: str,
                         project_dir: Path) -> list[str]:
    """Files the shard's reported tests were collected from that its facts do not list."""
    missing: set[str] = set()
    checked: set[str] = set()
    for entry in partial.data.get("tests", []):
        name = str(entry.get("nodeid", "")).split("::", 1)[0]
        if not name or name in checked:
            continue
        checked.add(name)
        real = os.path.realpath(project_dir / name)
        rel = os.path.relpath(real, root).replace(os.sep, "/")
        if os.path.isfile(real) and not rel.startswith("../") and rel not in files:
            missing.add(rel)
    return sorted(missing)


def merged_sections(shard_set: ShardSet) -> dict[str, Any]:
    """Sections other plugins gave in the shards: lists are joined (artifacts per kind);
    anything else is kept when every shard agrees."""
    merged: dict[str, Any] = {}
    for partial in shard_set.finished:
        for key, value in partial.data["sections"].items():
            if key not in merged:
                merged[key] = value
            elif isinstance(value, Mapping) and isinstance(merged[key], Mapping):
                joined = dict(merged[key])
                for inner, items in value.items():
                    previous = joined.get(inner)
                    if isinstance(previous, list) and isinstance(items, list):
                        joined[inner] = sorted({*map(str, previous), *map(str, items)})
                    else:
                        joined[inner] = items
                merged[key] = joined
    return merged


def shards_section(shard_set: ShardSet, run: RunSummary) -> dict[str, Any]:
    reference = shard_set.reference
    shards: list[dict[str, Any]] = []
    for index in range(1, shard_set.total + 1):
        partial = shard_set.chosen.get(index)
        if partial is None:
            shards.append({"index": index, "status": "missing"})
            continue
        data = partial.data
        entry: dict[str, Any] = {
            "index": index,
            "status": "finished" if partial.finished else "not_finished",
            "file": partial.path.name,
            "attempt": partial.attempt_id,
            "attempts": 1 + len(shard_set.retried.get(index, [])),
        }
        if partial.finished:
            entry.update({
                "tests": len(partial.nodeids()),
                "duration_s": data["run"]["duration_s"],  # the shard's wall time
                "test_time_s": round(sum(t["test_time_s"] for t in data["tiers"].values()), 3),
                "exitstatus": data["run"]["exitstatus"],
                "workers": data["run"]["workers"],
            })
        shards.append(entry)
    durations = [float(s.get("duration_s", 0.0)) for s in shards]
    return {
        "total": shard_set.total,
        "run_id": shard_set.chosen[min(shard_set.chosen)].data.get("run_id"),
        "selection_digest": reference.data["selection"]["digest"] if reference else None,
        "selection_count": reference.data["selection"]["count"] if reference else None,
        "durations_digest": (reference.data["selection"]["durations_digest"]
                             if reference else None),
        "missing": list(shard_set.missing),
        "not_finished": list(shard_set.unfinished),
        "retried": sorted(shard_set.retried),
        "changed_outcome": sorted(shard_set.changed),
        "critical_path_s": round(max(durations, default=0.0), 3),
        "summed_test_time_s": round(sum(t.test_time_s for t in run.tiers.values()), 3),
        "shards": shards,
    }


# -- judging -------------------------------------------------------------------------------


@dataclass
class MergeResult:
    verdict: Verdict
    exitstatus: int
    notes: list[str]
    run: RunSummary
    shard_set: ShardSet
    #: the verdict's ``shards`` section
    shards: dict[str, Any]


def _git_of(partial: Partial | None, local: GitInfo) -> GitInfo:
    from pytest_pyramid.verdict.provenance import GitInfo

    if partial is None:
        return GitInfo(unnamed=local.unnamed)
    data = partial.data
    excluded = sorted({*data["tree"]["excluded"], *local.excluded})
    return GitInfo(
        commit=data["commit"],
        commit_time=data["commit_time"],
        branch=data["branch"],
        dirty=data["dirty"],
        tree=data["tree"]["digest"],
        head_tree=data["tree"]["head"],
        excluded=tuple(excluded),
        toplevel=local.toplevel,
        # what the merge's own checkout cannot name: judged by the writer's check
        unnamed=local.unnamed,
    )


def judge_merged(
    shard_set: ShardSet,
    settings: Settings,
    *,
    project_dir: Path,
    config_file: str,
    local: GitInfo,
    coverage_out: Path | None = None,
    diff_base: str | None = None,
    run_id: str | None = None,
    project: str | None = None,
) -> MergeResult:
    """Judge the checked set with the gates and the decision rule of an unsharded run; the
    verdict speaks for ``project``, the merge's own (``check_project``: the shards' too)."""
    from pytest_pyramid import __version__
    from pytest_pyramid.verdict.assemble import assemble_verdict
    from pytest_pyramid.verdict.decision import exit_status
    from pytest_pyramid.verdict.document import config_digest
    from pytest_pyramid.verdict.run_identity import run_identity

    reference = shard_set.reference
    run = merged_run(shard_set, settings, project_dir)
    problems = shard_problems(shard_set)
    tested = reference.data["tree"]["digest"] if reference else None
    if reference is not None and tested != local.tree:
        problems.append({
            "kind": "merge_tree",
            "message": f"pyramid merge ran in a working tree ({_short(local.tree)}) that is not "
            f"the one the shards tested ({_short(tested)}): coverage and static gates would "
            "judge other code; merge in a checkout of the tested commit",
        })
    # a shard that died is a crash of the run, as a killed xdist worker is to one machine
    interrupted = bool(shard_set.unfinished) or any(
        p.data["run"]["interrupted"] for p in shard_set.finished)
    # the base of the changed lines is the project's decision (its tracked configuration) or
    # the merge's own --diff-base (judged as the run's option): never taken from a partial,
    # whose value is only compared (hostile round 2, case 91)
    base = diff_base if diff_base is not None else tracked_diff_base(project_dir)
    problems.extend(diff_base_problems(shard_set, base))
    errors: list[str] = []
    gates, sections = _gates(shard_set, settings, run, project_dir, base, coverage_out, errors)
    shards = shards_section(shard_set, run)
    sections.append(("pyramid-merge", {"shards": shards}))
    extra = merged_sections(shard_set)
    if extra:
        sections.append(("shards' plugins", extra))
    invocations = shard_invocations(shard_set, project_dir, settings, diff_base)
    code_seen, code_problems = merged_code(shard_set, local.toplevel, project_dir,
                                           settings.source_paths)
    problems.extend(code_problems)
    limits: dict[str, float | None] = {}
    required: list[str] = []
    for partial in shard_set.finished:
        for name, entry in partial.data["tiers"].items():
            limits.setdefault(name, entry.get("test_timeout_s"))
        required.extend(t for t in partial.data["run"]["required"] if t not in required)
    verdict = assemble_verdict(
        run=run,
        tiers=settings.tiers,
        required=required,
        gates=gates,
        problems=problems,
        interrupted=interrupted,
        git=_git_of(reference, local),
        config={"file": config_file, "digest": config_digest(settings.raw)},
        tool_version=__version__,
        python_version=reference.data["python"] if reference else "",
        pytest_version=reference.data["pytest"] if reference else "",
        args=list(reference.data["run"]["args"]) if reference else [],
        effective_limits=limits,
        sections=sections,
        hook_errors=errors,
        invocations=invocations,
        code_seen=code_seen,
        mode=settings.mode,
        budget_basis=settings.budget_basis,
        project=project,
    )
    from pytest_pyramid.results import effect_of
    from pytest_pyramid.verdict.writer import _only_quarantined_failures

    failed = sum(int(p.data["run"]["tests_failed"]) for p in shard_set.finished)
    status, note = exit_status(
        run.exitstatus,
        verdict["decision"],
        # observe mode: the gates are reported, they never fail the merge's exit status
        gate_blocks=settings.mode != "observe" and any(effect_of(g) == "block" for g in gates),
        hook_errors=bool(errors),
        excused_failures=_only_quarantined_failures(run, gates, failed),
        tests_left_over=sum(s.never_ran for s in run.tiers.values()) > 0,
    )
    verdict["run"]["pytest_exit"] = int(status)
    verdict["run"]["invocation"] = merged_invocation_record(invocations)
    distributions = merged_distributions(shard_set)
    if distributions is not None:
        verdict["run"]["distributions"] = distributions
    # the CI run the shards belong to (outside CI: an id of the merge's own)
    source = shard_set.chosen[min(shard_set.chosen)].data
    identity = run_identity(os.environ)
    verdict["run_id"] = source.get("run_id") or run_id or identity.run_id
    number = source.get("run_number")
    if number is None and not source.get("run_id"):
        number = identity.run_number
    if number is not None:
        verdict["run_number"] = number
    notes = [note] if note else []
    notes.extend(f"error: {error}" for error in errors)
    return MergeResult(verdict, int(status), notes, run, shard_set, shards)


def _gates(
    shard_set: ShardSet,
    settings: Settings,
    run: RunSummary,
    project_dir: Path,
    diff_base: str | None,
    coverage_out: Path | None,
    errors: list[str],
) -> tuple[list[GateResult], list[tuple[str, object]]]:
    """The gate engine's gates, then the coverage gates: the order an unsharded run has."""
    from pytest_pyramid.gates.engine import GateEngine

    gates: list[GateResult] = []
    sections: list[tuple[str, object]] = []
    engine = GateEngine.from_settings(settings, risk_base=diff_base)  # ConfigError: exit 3
    try:
        evaluation = engine.evaluate(run)
    except Exception as exc:  # a gate's bug must not cost the verdict: incomplete, named
        errors.append(f"the gate engine raised {type(exc).__name__}: {exc}")
    else:
        gates.extend(evaluation.gates)
        sections.append(("pyramid-gates", evaluation.sections))
    coverage = _coverage(shard_set, settings, run, project_dir, diff_base, coverage_out, errors)
    if coverage is not None:
        gates.extend(coverage.gates)
        sections.append(("pyramid-coverage", coverage.sections))
    providers = sorted({name for p in shard_set.finished for name in p.data["plugin_gates"]})
    if providers:
        gates.extend(_provider_gates(providers, project_dir, run, errors))
    return gates, sections


class _PyramidHooks:
    """Only the hook specifications: the merge's pytest configuration runs no pyramid."""

    @staticmethod
    def pytest_addhooks(pluginmanager: Any) -> None:
        from pytest_pyramid.run import hookspecs

        pluginmanager.add_hookspecs(hookspecs)


def _provider_gates(
    providers: Sequence[str], project_dir: Path, run: RunSummary, errors: list[str]
) -> list[GateResult]:
    """The shards' other gate providers (conftest files, plugins) judged on the merged run,
    as the writer calls them on an unsharded run: the project's pytest configuration is
    read in the project (pyramid itself off), the conftests the shards imported are imported,
    and each ``pytest_pyramid_gates`` is called on its own. One that cannot be had or raises
    is named, and the verdict is incomplete."""
    from _pytest.config import _prepareconfig

    from pytest_pyramid.gates.judging import MERGED_PROVIDERS, collect_gates
    from pytest_pyramid.run.session import load_conftests

    previous = Path.cwd()
    os.chdir(project_dir)
    try:
        config = _prepareconfig(["-p", "no:pyramid", "-p", "no:cacheprovider"], [_PyramidHooks()])
    except (Exception, SystemExit) as exc:  # a usage error of the project: named
        errors.append(f"pyramid merge could not read the project's pytest configuration to "
                      f"judge the gates of {', '.join(providers)}: {exc}")
        return []
    finally:
        os.chdir(previous)
    try:
        conftests = [name for name in providers if Path(name).name == "conftest.py"]
        errors.extend(f"a conftest the shards imported could not be imported to judge the "
                      f"merged run: {error}" for error in load_conftests(config, conftests))
        plugins = config.pluginmanager
        errors.extend(
            f"gates of {name} (pytest_pyramid_gates) were not judged: the plugin is not "
            "installed where pyramid merge runs"
            for name in providers
            if name not in conftests and plugins.get_plugin(name) is None
        )
        unconfigured = _configure_providers(config, providers, errors)
        return collect_gates(config, run, errors, skip=MERGED_PROVIDERS | unconfigured)
    finally:
        config._ensure_unconfigure()


def _configure_providers(config: Any, providers: Sequence[str], errors: list[str]
                         ) -> frozenset[str]:
    """Call the ``pytest_configure`` of every gate provider the merge imported, as a run
    configures its plugins before judging (the merge's own pytest configuration is never
    configured as a whole: it runs no session). A provider whose ``pytest_configure``
    raises is not judged, and says so (the verdict is incomplete); returns their names."""
    from pytest_pyramid.run.session import judging_conftests

    wanted = set(providers)
    files = set(judging_conftests(config))
    refused: set[str] = set()
    for impl in reversed(config.hook.pytest_configure.get_hookimpls()):  # pluggy's order
        name = impl.plugin_name
        file = getattr(impl.plugin, "__file__", None)
        shown = _conftest_shown(config, file) if file else None
        owner = shown if shown in files and shown in wanted else (
            name if name in wanted else None)
        if owner is None or impl.hookwrapper or getattr(impl, "wrapper", False):
            continue
        try:
            impl.function(*(config for _ in impl.argnames))
        except Exception as exc:  # named in the verdict, never a pass
            errors.append(f"pytest_configure of {owner} raised {type(exc).__name__}: {exc}: "
                          "its gates were not judged on the merged run")
            refused.add(name)
    return frozenset(refused)


def _conftest_shown(config: Any, file: str) -> str | None:
    """A conftest module's file as the shards list it (rootdir-relative, POSIX)."""
    path = Path(file)
    if path.name != "conftest.py":
        return None
    try:
        return path.relative_to(config.rootpath).as_posix()
    except ValueError:
        return str(path)


def _coverage(
    shard_set: ShardSet,
    settings: Settings,
    run: RunSummary,
    project_dir: Path,
    diff_base: str | None,
    out: Path | None,
    errors: list[str],
) -> Any:
    from pytest_pyramid.gates.cov.combine import ShardCoverage, merged_state
    from pytest_pyramid.gates.cov.config import parse_coverage_settings
    from pytest_pyramid.gates.cov.gates import evaluate

    cov_settings = parse_coverage_settings(
        settings.raw, settings.source, settings.tier_names,
        source_paths=settings.source_paths, cli_base=diff_base,
    )
    shards: list[ShardCoverage] = []
    for partial in shard_set.finished:
        block = partial.data["coverage"]
        if block is None:
            shards.append(ShardCoverage(partial.label, measured=False,
                                        reason="coverage was not measured (no --cov)"))
            continue
        file = block.get("file")
        shards.append(ShardCoverage(
            label=partial.label,
            measured=bool(block["measured"]),
            reason=block.get("reason"),
            tier_reason=block.get("tier_reason"),
            mode=str(block.get("mode", "tier")),
            file=partial.path.with_name(file) if file else None,
            sha256=block.get("sha256"),
            static=block.get("static"),
            config_file=block.get("config_file"),
            source=tuple(block.get("source", ())),
            source_from=str(block.get("source_from", "")),
            notes=tuple(block.get("notes", ())),
        ))
    measured_anywhere = any(s.measured for s in shards)
    if not (cov_settings.has_thresholds or cov_settings.base is not None or measured_anywhere):
        return None
    try:
        state = merged_state(
            cov_settings, shards, project_dir=project_dir,
            tier_of={nodeid: test.tier for nodeid, test in run.outcomes.items()},
            tiers_ran=[t for t in cov_settings.tier_order if run.tier_ran(t)],
            out=out,
        )
    except Exception as exc:  # unreadable data: not measured, never a pass
        errors.append(f"combining the shards' coverage raised {type(exc).__name__}: {exc}")
        return None
    return evaluate(cov_settings, state, run)


def durations_results(run: RunSummary) -> list[tuple[str, str, str, float, float, float]]:
    return [
        (nodeid, test.tier, test.outcome if test.finished else "unfinished",
         test.setup_s, test.call_s, test.teardown_s)
        for nodeid, test in run.outcomes.items()  # the document sorts them
    ]


def scope_setup(shard_set: ShardSet) -> dict[str, float]:
    """Shared setup per module/class: the largest any shard measured (each pays it once)."""
    scopes: dict[str, float] = {}
    for partial in shard_set.finished:
        for key, seconds in partial.data["scope_setup"].items():
            if seconds > scopes.get(key, 0.0):
                scopes[key] = float(seconds)
    return scopes



# -- the command -----------------------------------------------------------------------------


def _ini_durations(project_dir: Path) -> str | None:
    """``pyramid_durations`` of ``[tool.pytest.ini_options]``: where the shards read it."""
    from pytest_pyramid.project import pytest_ini_option

    return pytest_ini_option(project_dir, "pyramid_durations")


def default_durations(pyproject: Path) -> Path:
    from pytest_pyramid.run.sharding import DEFAULT_DURATIONS

    return pyproject.parent / (_ini_durations(pyproject.parent) or DEFAULT_DURATIONS)


@dataclass
class MergeOutcome:
    result: MergeResult
    verdict_path: Path
    durations_path: Path | None


def run_merge(
    partials: Sequence[str | Path],
    *,
    config: str | Path | None = None,
    output: str | Path | None = None,
    durations_out: str | Path | None = None,
    coverage_out: str | Path | None = None,
    diff_base: str | None = None,
    cwd: Path | None = None,
    run_id: str | None = None,
) -> MergeOutcome:
    """Check the set, judge it, write the verdict and the durations file for the next run.

    A set that cannot be one run raises :class:`MergeRefused` after writing an
    ``incomplete`` verdict that says why (so no older ``ready`` survives at that path).
    """
    from pytest_pyramid._files import dumps_strict, write_json_atomic, write_text_atomic
    from pytest_pyramid.config import DEFAULT_VERDICT
    from pytest_pyramid.errors import ConfigError
    from pytest_pyramid.project import NoProject, load
    from pytest_pyramid.run._git import tree_files
    from pytest_pyramid.run.shard import (
        TIMED_OUTCOMES,
        Durations,
        durations_document,
        load_durations_bytes,
        updated_durations,
    )
    from pytest_pyramid.verdict.document import config_digest
    from pytest_pyramid.verdict.provenance import project_folder, read_git_info
    from pytest_pyramid.verdict.writer import write_placeholder

    here = Path.cwd() if cwd is None else cwd
    try:
        # `source` resolved against the tree, as each shard's run resolved it
        project = load(here, config=Path(here, config) if config is not None else None,
                       tree=tree_files)
        pyproject, table, project_dir = project.path, project.table, project.folder.resolve()
        settings = project.settings
    except NoProject as exc:
        raise MergeRefused(f"{exc}" + ("" if config is not None else ": pass --config")) from None
    except ConfigError as exc:
        raise MergeRefused(str(exc)) from None
    named = settings.verdict if isinstance(settings.verdict, str) else DEFAULT_VERDICT
    verdict_path = Path(here, output) if output is not None else project_dir / named
    try:
        told_run = run_id or os.environ.get("PYRAMID_RUN_ID", "").strip() or None
        shard_set = check_set(load_partials([Path(here, p) for p in partials]), told_run)
        reference = shard_set.reference
        if reference is not None and reference.data["config"]["digest"] != config_digest(table):
            raise MergeRefused(
                f"{pyproject} is not the configuration the shards ran with (digest "
                f"{_short(config_digest(table))}, the shards' "
                f"{_short(reference.data['config']['digest'])})"
            )
    except MergeRefused as exc:
        write_placeholder(verdict_path, f"pyramid merge refused the partial results: {exc}")
        raise
    attempts = [*shard_set.chosen.values(),
                *(p for tries in shard_set.retried.values() for p in tries)]
    inputs = [p.path for p in attempts] + [p.path.with_suffix(".coverage") for p in attempts]
    from pytest_pyramid.verdict.results_file import results_path_for

    configured = project_dir / named  # what every shard left out of its digest, as a run does
    outputs = [verdict_path, results_path_for(verdict_path), configured,
               results_path_for(configured)]
    durations_path = (Path(here, durations_out) if durations_out is not None
                      else default_durations(pyproject))
    outputs.append(durations_path)
    cov_out = Path(here, coverage_out) if coverage_out is not None else None
    if cov_out is not None:
        outputs.append(cov_out)
    local = read_git_info(project_dir, (*outputs, *inputs))
    folder = project_folder(local.toplevel, project_dir)
    try:
        check_project(shard_set, folder, pyproject)
    except MergeRefused as exc:
        write_placeholder(verdict_path, f"pyramid merge refused the partial results: {exc}")
        raise
    try:
        config_file = pyproject.resolve().relative_to(project_dir).as_posix()
    except ValueError:
        config_file = str(pyproject)
    try:
        result = judge_merged(
            shard_set, settings, project_dir=project_dir, config_file=config_file,
            local=local, coverage_out=cov_out, diff_base=diff_base, run_id=told_run,
            project=folder,
        )
    except ConfigError as exc:
        write_placeholder(verdict_path, f"pyramid merge could not judge: {exc}")
        raise MergeRefused(str(exc)) from None
    # the per-test results beside the verdict, as an unsharded run writes them (the reports
    # read them): written first, the verdict carries their digest
    from pytest_pyramid.verdict.records import records
    from pytest_pyramid.verdict.results_file import results_path_for, write_results

    result.verdict["results"] = write_results(
        results_path_for(verdict_path), records(result.run), relative_to=verdict_path.parent)
    write_json_atomic(verdict_path, result.verdict)
    if not shard_set.finished:
        return MergeOutcome(result, verdict_path, None)  # nothing ran: keep the old durations
    results = durations_results(result.run)
    selected = frozenset(result.run.selected_tiers)
    if shard_set.missing or shard_set.unfinished:
        selected = frozenset()  # the missing shards' tests keep their old records
    untimed = {nodeid for nodeid, _, outcome, *_ in results if outcome not in TIMED_OUTCOMES}
    previous = Durations()
    if untimed or set(settings.tiers) - selected:  # else nothing of the old file stays
        # only the entries that can stay are read; no file yet, or one this version cannot
        # read: start anew
        with contextlib.suppress(OSError, ValueError):
            previous = load_durations_bytes(
                durations_path.read_bytes(),
                keep=lambda nodeid, tier: nodeid in untimed or tier not in selected,
            )
    fresh = updated_durations(previous, results, scope_setup(shard_set), selected)
    # one line: a cache of 50,000 entries, read by machines (indenting doubles its size)
    write_text_atomic(durations_path, dumps_strict(durations_document(fresh), indent=None))
    return MergeOutcome(result, verdict_path, durations_path)
