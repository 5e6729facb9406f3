"""Flaky on arrival: a test new to the flake ledger, or whose file changed since the merge
base, is run again, within a share of its tier's budget, until its flake rate is bounded or a
repeat contradicts it.

A test that arrives with a change has no history: the ledger cannot tell a flaky newcomer
from a stable one, and a flaky test that lands is quarantined later at the cost of a red
main branch. So before it lands it is repeated: with no failure in ``n`` attempts, the
one-sided 95% upper bound of its failure rate is ``1 - 0.05 ** (1 / n)`` (the exact
Clopper-Pearson bound; 29 attempts bound it below 10%). A failing attempt after a pass, or
a pass after a failing attempt, is a contradiction on one tree: proof of nondeterminism,
which the ``tests.flaky_on_arrival`` gate blocks (a test that arrives flaky is never
quarantined).

Which tests arrive: those the tree says changed (``git diff`` against the merge base with the
run's base revision, working tree included, plus untracked files: a test whose file
changed, or below a changed ``conftest.py``, whose fixtures it uses), those a changed
support file reaches (:func:`support_files`, :func:`reach`: a helper, fixture plugin or data
file under the test folders reaches every collected test, whether the run saw it read while
collecting or not: a file not read by then may be read later by a test, by a child the
recorder does not follow, or by C code the recorder never sees, and a read not seen
explains nothing), and those the flake
ledger the run names (``--pyramid-history``) holds no attempt of (``new_to_ledger``). The
ledger only adds repeats: a repeat can find a contradiction, never excuse a failure, so a
local database may make a run stricter but never let a change through. A ledger that holds
no run yet (absent, or a history file from before the ledger) sets no "new" rule: on it every
test of the suite is new, none of them arrived with a change, and which of them fitted in the
budget share would be collection order; the first run seeds it. The repeats run in the process
that runs the test (serial, or its xdist worker), before the test's own logged run; their
count travels with the test's reports as the user property ``pyramid_arrival``, so every
route (serial, xdist, shards and ``pyramid merge``) carries the same fact in the per-test
records. Repeats are not logged: they add no test, no report and no metric sample.

This module is the rule (bounds, settings, whether arrivals can be found: no pytest); the
base and the changed files come from ``run/changes.py``, shared with the risk and coverage
gates; ``run/repeater.py`` is the pytest glue that repeats.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pytest_pyramid.results import record

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.changes import Memo

#: the user property that carries an arriving test's repeats:
#: {"repeats": n, "failed": k, "skipped": s, "needed": m}
PROPERTY = "pyramid_arrival"
#: the confidence of the stated bound (one-sided)
CONFIDENCE = 0.95
#: the flake ledger's tables in the run history's SQLite file: ``verdict/ledger.py`` writes
#: them, the repeater reads which tests they hold (the run stage cannot import the verdict's)
LEDGER_RUNS = "pyramid_ledger_runs"
LEDGER_ATTEMPTS = "pyramid_attempts"
#: every node id the ledger has an attempt of, one row each: what makes a test not new is read
#: without scanning every attempt (a scan of 120k attempts took 0.2-0.4 s per process)
LEDGER_TESTS = "pyramid_ledger_tests"
#: ``[tool.pyramid.flaky]`` defaults: on; a tenth of each tier's budget; bound below 10%
DEFAULT_SHARE = 0.1
DEFAULT_BOUND = 0.1


def upper_bound(clean: int, confidence: float = CONFIDENCE) -> float:
    """The one-sided upper confidence bound of a failure rate after ``clean`` attempts with
    no failure (exact, Clopper-Pearson): 1.0 when nothing was observed."""
    if clean <= 0:
        return 1.0
    return float(1.0 - (1.0 - confidence) ** (1.0 / clean))


def attempts_needed(bound: float, confidence: float = CONFIDENCE) -> int:
    """The fewest clean attempts whose upper bound is at most ``bound``."""
    return math.ceil(math.log(1.0 - confidence) / math.log(1.0 - bound) - 1e-9)


class Arrival(NamedTuple):
    """An arriving test's repeats before its logged run. The repeater stops at the first
    repeat that did not pass: a failure (``failed``), or a repeat that ended neither passed
    nor failed (``skipped``: a skip or an xfail, 0 or 1). A test that skips itself when run
    again is not left unrepeated and so unjudged: its changed outcome is judged
    (gates/arrival.py), as a pass then a failure is. ``why``: why it arrived (the reasons
    below; empty in a record from before they were written)."""

    #: repeats that passed or failed (a skipped one is not counted here)
    repeats: int
    failed: int
    skipped: int = 0
    why: tuple[str, ...] = ()


@record(frozen=True)
class ArrivalSettings:
    """``[tool.pyramid.flaky]``'s arrival keys, as the schema checked them."""

    enabled: bool = True
    share: float = DEFAULT_SHARE
    bound: float = DEFAULT_BOUND

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None) -> ArrivalSettings:
        table = table or {}
        return cls(enabled=bool(table.get("arrival", True)),
                   share=float(table.get("arrival_share", DEFAULT_SHARE)),
                   bound=float(table.get("arrival_bound", DEFAULT_BOUND)))


#: why a test arrived (the user property's and the record's ``arrival.why``, the gate's
#: details): its own file or a ``conftest.py`` above it changed ...
CHANGED = "changed: "
#: ... the flake ledger holds no attempt of its id (a new test, or a new parametrised id) ...
NEW_TO_LEDGER = "new to the ledger"
#: ... a changed support file (a helper, a fixture plugin, a data file under the test
#: folders) was read while the tests were collected: it reaches every collected test ...
REACHED = "reached by "
#: ... a changed support file the run had not seen read when collection ended: a test may
#: read it while it runs, a child the recorder does not follow may, or C code (``ctypes``, an
#: extension's own ``fopen``: hostile case 189 d) that no audit event shows; which tests it
#: reaches the run cannot know, so it reaches every collected test too ...
MAY_READ = "may read: "
#: ... and, told after the fact, the test that first read such a file while it ran (which
#: other tests use it, a module imported once, a file read again, the run cannot tell: every
#: test arrived with it already)
RAN_INTO = "read while it ran: "
#: how many support files a test's reasons name before "and N more"
WHY_SHOWN = 3
#: the most reasons a record may carry (own file, ledger, shown files, "more", run-time reads)
MAX_WHY = 16


def conftest_folders(changed: frozenset[str]) -> frozenset[str]:
    """The folders (relative to the top, "" for the top) of the changed ``conftest.py`` files:
    a fixture a change made flaky makes flaky every test below its conftest."""
    return frozenset(path.rpartition("/")[0] for path in changed if _is_conftest(path))


def _is_conftest(path: str) -> bool:
    return path == "conftest.py" or path.endswith("/conftest.py")


def change_reason(name: str, changed: frozenset[str], fixtures: frozenset[str]) -> str | None:
    """Why the test file ``name`` (relative to the top; "" when outside it) arrives: it
    changed, or a ``conftest.py`` in its folder or a folder above it did; None when neither."""
    if not name:
        return None
    if name in changed:
        return CHANGED + name
    folder = name.rpartition("/")[0]
    while True:
        if folder in fixtures:
            return CHANGED + (f"{folder}/conftest.py" if folder else "conftest.py")
        if not folder:
            return None
        folder = folder.rpartition("/")[0]


def arrives(name: str, changed: frozenset[str], fixtures: frozenset[str]) -> bool:
    """Whether the test file ``name`` arrives by its own change (:func:`change_reason`)."""
    return change_reason(name, changed, fixtures) is not None


def folders_of_tests(patterns: Iterable[str], prefix: str) -> tuple[str, ...]:
    """The folders the tests live in, relative to the top: the tiers' paths and
    ``testpaths`` (relative to the rootdir, ``prefix`` its place under the top, "" at the
    top); a glob is cut before its first segment with a wildcard (``tests/*/unit`` is under
    ``tests``); "" when a pattern covers the whole rootdir."""
    folders = set()
    for pattern in patterns:
        kept = []
        for segment in pattern.replace("\\", "/").strip("/").removeprefix("./").split("/"):
            if not segment or segment == "." or set(segment) & set("*?["):
                break
            kept.append(segment)
        folders.add("/".join(part for part in (prefix, *kept) if part))
    return tuple(sorted(folders))


class ConfiguredFolders(NamedTuple):
    """The test folders (relative to the top) and the rootdir's place under the top."""

    prefix: str  # "" when the rootdir is the top (or lies outside it)
    folders: tuple[str, ...]


def configured_test_folders(tier_paths: Iterable[str], testpaths: Iterable[str],
                            rootdir: str, top: str, tests: Iterable[str]) -> ConfiguredFolders:
    """The one answer to "which folders are test folders", for the arrival rule
    (``run/repeater.py``) and the workspace rule (``run/closed_world.py``) alike, so the two
    cannot come to disagree: the tiers' paths and ``testpaths`` (relative to the rootdir)
    placed under the top (:func:`folders_of_tests`), and every folder a test was collected
    from (``tests``, relative to the top: :func:`all_test_folders`; one outside the top,
    ``..``, is not the project's). Both paths are resolved: a symlinked checkout or rootdir
    names the same folders."""
    prefix = os.path.relpath(os.path.realpath(rootdir), os.path.realpath(top))
    prefix = "" if prefix == "." or prefix.startswith("..") else prefix.replace(os.sep, "/")
    configured = folders_of_tests([*tier_paths, *testpaths], prefix)
    inside = [name for name in tests if name != ".." and not name.startswith("../")]
    return ConfiguredFolders(prefix, all_test_folders(configured, inside))


def all_test_folders(configured: Sequence[str], tests: Iterable[str]) -> tuple[str, ...]:
    """The test folders: the configured ones (:func:`folders_of_tests`) and the folder of
    every file tests were collected from (``tests``, relative to the top), so a data file
    beside a test that no tier's path names (a test found by ``markers``, a ``testpaths``
    left unset) is a support file too. The top itself is a test folder only when configured:
    a test file at the top would make every product file a support file."""
    found = {name.rpartition("/")[0] for name in tests if name}
    return tuple(sorted({*configured, *(folder for folder in found if folder)}))


def support_files(changed: frozenset[str], tests: frozenset[str],
                  folders: Sequence[str]) -> frozenset[str]:
    """The changed files under the test folders that are neither a test file (``tests``:
    every file tests were collected from) nor a ``conftest.py`` above a test (those make their
    own tests arrive): helpers, fixture plugins, data, and a conftest no test lies below (a
    module a test may import, whose change no test's own rule names). Which tests they reach
    is read from the run (:func:`reach`)."""
    def under(path: str) -> bool:
        return any(not folder or path == folder or path.startswith(folder + "/")
                   for folder in folders)

    holding = _holding(tests) if any(map(_is_conftest, changed)) else frozenset()
    return frozenset(path for path in changed if path not in tests and under(path) and not (
        _is_conftest(path) and path.rpartition("/")[0] in holding))


def _holding(tests: Iterable[str]) -> frozenset[str]:
    """Every folder (relative to the top, "" for the top) a test file lies in or below."""
    found = set()
    for name in tests:
        if not name:
            continue  # outside the top
        folder = name.rpartition("/")[0]
        while folder not in found:
            found.add(folder)
            if not folder:
                break
            folder = folder.rpartition("/")[0]
    return frozenset(found)


def reach(first_read: Mapping[str, str | None] | None,
          support: Mapping[str, str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """Which changed support files the run saw read when collection ends, from the closed
    world's record of who first read each file (``first_read``: real path -> node id, None
    while collecting; None: nothing was recorded; ``support``: real path -> its name).
    Every one of them reaches every collected test: a file read by then (a ``pytest_plugins``
    module, a helper a test module imports, a ``cases.json`` that parametrises a test) because
    a module is read once and any test, one collected earlier too, may use it later; a file
    not read by then (:data:`MAY_READ`) because its reader is unknown, and may stay unknown
    (C code, a child the recorder does not follow). Returns (the names of the files read by
    then, sorted; the files not read yet: real path -> name): the test that first reads one
    of these is named when it ends (``run/repeater.py``)."""
    if first_read is None:
        return (), dict(support)
    read = tuple(sorted(name for real, name in support.items() if real in first_read))
    return read, {real: name for real, name in support.items() if real not in first_read}


def reasons(own: str | None, new: bool, reached: Sequence[str],
            unread: Sequence[str] = ()) -> tuple[str, ...]:
    """A test's reasons to arrive, in order: its own change, new to the ledger, the support
    files read while collecting, then those not read by then (of each, the first
    :data:`WHY_SHOWN`, then how many more)."""
    why = [own] if own else []
    if new:
        why.append(NEW_TO_LEDGER)
    for prefix, names in ((REACHED, reached), (MAY_READ, unread)):
        why += [prefix + name for name in names[:WHY_SHOWN]]
        if len(names) > WHY_SHOWN:
            why.append(f"{prefix}{len(names) - WHY_SHOWN} more changed support file(s)")
    return tuple(why)


#: the reasons that name a file
_FILE_PREFIXES = (CHANGED, REACHED, MAY_READ, RAN_INTO)


def reason_file(reason: str) -> str | None:
    """The file a reason names (its own change, a support file); None for the ledger's."""
    for prefix in _FILE_PREFIXES:
        if reason.startswith(prefix):
            return reason[len(prefix):]
    return None


def new_to_ledger(nodeids: Iterable[str], seen: frozenset[str] | None) -> frozenset[str]:
    """The node ids the flake ledger holds no attempt of; none when ``seen`` is None (the
    ledger holds no run yet, or the run names none: see the module's docstring)."""
    if seen is None:
        return frozenset()
    return frozenset(nodeid for nodeid in nodeids if nodeid not in seen)


def ledger_seen(path: Path) -> frozenset[str] | None:
    """Every node id the flake ledger at ``path`` holds an attempt of, read-only; None when it
    holds no run (no file, no ledger table, no row). Raises ValueError naming the file when it
    cannot be read. The caller pauses the closed world's recording (``run/imported.py:
    unrecorded``): the plugin's own bookkeeping is no input of the tests."""
    import sqlite3
    from contextlib import closing

    if not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                     timeout=10)) as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                              (LEDGER_RUNS,)).fetchone():
                return None
            if not db.execute(f"SELECT 1 FROM {LEDGER_RUNS} LIMIT 1").fetchone():
                return None
            listed = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                "name = ?", (LEDGER_TESTS,)).fetchone()
            # a ledger written before the tests table: its attempts say the same, slower
            query = (f"SELECT nodeid FROM {LEDGER_TESTS}" if listed
                     else f"SELECT DISTINCT nodeid FROM {LEDGER_ATTEMPTS}")
            return frozenset(row[0] for row in db.execute(query))
    except sqlite3.Error as exc:
        raise ValueError(f"{path}: cannot read the flake ledger: {exc}") from None


def arrival_status(settings: Settings, cli_base: str | None, memo: Memo,
                   environ: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """(the base, "") when arrivals can be found, else (None, why not): what the gate states
    (the repeater reads the same changes from the run's memo)."""
    # imported here: every run imports this module (arrival_of), few name a base
    from pytest_pyramid.run.changes import BASE_ENV, resolve_base, since

    found = resolve_base(settings.raw, cli_base, "arrival", environ)
    if found is None:
        return None, ("no base revision to find the tests changed since (--pyramid-diff-base, "
                      f"{BASE_ENV}, or [tool.pyramid.coverage] base)")
    base, origin = found
    changes = since(memo, Path(settings.rootdir), base)
    if changes.reason is not None:
        return None, f"base {base!r} (from {origin}): {changes.reason}"
    return base, ""


#: the keys of a record's ``arrival`` (``why`` optional); the user property also carries
#: ``needed``
_RECORD_KEYS = frozenset({"repeats", "failed", "skipped"})
_OPTIONAL_KEYS = frozenset({"why"})
_PROPERTY_KEYS = _RECORD_KEYS | {"needed"}
#: what a reason may start with (an allow-list: a record says nothing else)
_REASON_PREFIXES = _FILE_PREFIXES


def arrival_problem(value: object, *, record: bool = False) -> str | None:
    """Why an ``arrival`` entry (a user property's value, or with ``record`` a record's field,
    which never carries the property's ``needed``) is not one the plugin writes; None when it
    is. Every reader checks it here: the run's own reports, a partial, the results file."""
    if type(value) is not dict or not set(value) >= _RECORD_KEYS \
            or not set(value) <= (_RECORD_KEYS if record else _PROPERTY_KEYS) | _OPTIONAL_KEYS:
        return "arrival must be an object with exactly repeats, failed and skipped (and why)"
    repeats, failed, skipped = value["repeats"], value["failed"], value["skipped"]
    if type(repeats) is not int or type(failed) is not int or not 0 <= failed <= repeats:
        return "arrival's repeats and failed must be whole numbers, 0 <= failed <= repeats"
    if type(skipped) is not int or skipped not in (0, 1) or (skipped and failed):
        return "arrival's skipped must be 0 or 1, and 0 after a failed repeat"
    return _why_problem(value.get("why", []))


def _why_problem(why: object) -> str | None:
    if type(why) is not list or len(why) > MAX_WHY:
        return f"arrival's why must be a list of at most {MAX_WHY} reasons"
    for reason in why:
        if type(reason) is not str or len(reason) > 4096 or not (
                reason == NEW_TO_LEDGER or reason.startswith(_REASON_PREFIXES)):
            return (f"arrival's why holds {str(reason)[:80]!r}: a reason is {NEW_TO_LEDGER!r} "
                    f"or starts with {', '.join(repr(p) for p in _REASON_PREFIXES)}")
    return None


def arrival_from(value: Mapping[str, Any]) -> Arrival:
    """A checked entry as the run summary holds it."""
    return Arrival(int(value["repeats"]), int(value["failed"]), int(value["skipped"]),
                   tuple(value.get("why", ())))


def arrival_of(properties: Sequence[tuple[str, object]]) -> Arrival | None:
    """An arriving test's repeats from its user properties; None when it did not arrive or
    the entry is not one the repeater writes."""
    for entry in reversed(properties):
        if len(entry) != 2 or entry[0] != PROPERTY:
            continue
        value = entry[1]
        if arrival_problem(value) is not None:
            return None
        assert isinstance(value, dict)
        return arrival_from(value)
    return None
