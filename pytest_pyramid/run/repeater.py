"""Runs an arriving test again before its logged run (the rule: ``run/arrival.py``).

Which tests arrive is decided when collection ends, in each process that runs tests (serial,
or every xdist worker: each collects the whole suite), and why travels with the test's
reports (``arrival.why``), so a merge of shards carries the same reasons: its own file or a
conftest above it changed, the ledger holds no attempt of its id, or a changed support file
(helper, fixture plugin, data) was read while collecting, or was not seen read by then (a
test, a child or C code may read it later: every test arrives with it too). The test that
first reads such a file while it runs is found at its teardown, from the closed world's
record of the test running when each file was first read (``run/imported.py: first_read``):
its arrival entry says so.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from pytest_pyramid.run.arrival import (
    MAX_WHY,
    PROPERTY,
    RAN_INTO,
    attempts_needed,
    change_reason,
    configured_test_folders,
    conftest_folders,
    new_to_ledger,
    reach,
    reasons,
    support_files,
)
from pytest_pyramid.run.changes import since
from pytest_pyramid.run.stash import CHANGES_KEY, TIER_KEY

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.arrival import ArrivalSettings
    from pytest_pyramid.run.changes import Changes
    from pytest_pyramid.run.imported import ImportRecorder

class ArrivalRepeater:
    """Repeats the arriving tests of this process (see the module's docstring)."""

    def __init__(self, settings: Settings, arrival: ArrivalSettings, base: str | None,
                 seen: frozenset[str] | None = None,
                 recorder: ImportRecorder | None = None) -> None:
        self.settings = settings
        self.needed = attempts_needed(arrival.bound)
        self.allowance = {name: arrival.share * spec.budget
                          for name, spec in settings.tiers.items() if spec.budget}
        self.spent: dict[str, float] = defaultdict(float)
        self.base = base
        #: the node ids the flake ledger holds (run/arrival.ledger_seen); None: no "new" rule
        self.seen = seen
        #: the closed world's recorder: which test first read each file
        self.recorder = recorder
        #: the arriving tests and why each arrives
        self.why: dict[str, tuple[str, ...]] = {}
        self.arriving: frozenset[str] = frozenset()
        #: the changed support files (real path -> name) no test has read yet at collection's
        #: end: one first read while a test runs is that test's to report
        self.unread: dict[str, str] = {}
        #: how many files the recorder had first read when the last test's teardown ended
        self._mark = 0
        #: run-time reasons found during an arriving test's repeats (its entry comes after)
        self._ran: list[str] = []
        self._repeating = False
        #: the files of the tests deselected after collection: test files, not support files
        self._deselected: set[Path] = set()

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self._deselected.update(item.path for item in items)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        new = new_to_ledger((item.nodeid for item in session.items), self.seen)
        own, reached = self._changed(session)
        unread = sorted(self.unread.values())
        why = {}
        for item in session.items:
            nodeid = item.nodeid
            found = reasons(own.get(nodeid), nodeid in new, reached, unread)
            if found:
                why[nodeid] = found
        self.why, self.arriving = why, frozenset(why)
        if self.recorder is not None:
            self._mark = len(self.recorder.first_read)

    def _changed(self, session: pytest.Session) -> tuple[dict[str, str], tuple[str, ...]]:
        """(the collected tests whose file, or a ``conftest.py`` above it, changed since the
        base: node id -> why; the changed support files read while collecting, which reach
        every collected test, as do those not read yet: ``self.unread``); nothing without a
        base, or when git cannot tell (the gate says why: ``arrival_status``; nothing is
        repeated blind)."""
        if self.base is None:
            return {}, ()
        memo = session.config.stash.setdefault(CHANGES_KEY, {})
        changes = since(memo, Path(self.settings.rootdir), self.base)
        if changes.top is None or changes.reason is not None:
            return {}, ()
        top, changed = changes.top, changes.names()
        # one resolve() per file, not per item: a file of a 60k-item suite holds hundreds
        names: dict[Path, str] = {}
        fixtures = conftest_folders(changed)
        own = {}
        for item in session.items:
            name = names.get(item.path)
            if name is None:
                name = names[item.path] = _name(item.path, top)
            reason = change_reason(name, changed, fixtures)
            if reason is not None:
                own[item.nodeid] = reason
        tests = frozenset(names.values()) | {_name(path, top) for path in self._deselected}
        return own, self._reached(session, changes, tests)

    def _reached(self, session: pytest.Session, changes: Changes,
                 tests: frozenset[str]) -> tuple[str, ...]:
        """The changed support files read while collecting (see ``run/arrival.py: reach``);
        those not read yet are kept (``self.unread``): every test arrives with them too, and
        the test that first reads one is named when it ends."""
        top = changes.top
        assert top is not None
        tier_paths = [path for spec in self.settings.tiers.values() for path in spec.paths]
        folders = configured_test_folders(tier_paths, [str(path) for path in session.config.getini(
            "testpaths")], str(self.settings.rootdir), str(top), tests).folders
        support = support_files(changes.names(), tests, folders)
        if not support:
            return ()
        # a file the branch deleted can be read by nothing (no C code either): not a reason
        real = {os.path.realpath(top / name): name for name in sorted(support)
                if os.path.exists(top / name)}
        recorder = self.recorder  # None: nothing says which were read: every one "may read"
        collected, self.unread = reach(None if recorder is None else recorder.first_read, real)
        return collected

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        if self.recorder is not None:
            self.recorder.reader = item.nodeid  # one assignment: the recorder's first_read
        why = self.why.get(item.nodeid)
        if why is None:
            return  # the hot path: one dict lookup
        from _pytest.runner import runtestprotocol

        tier = item.stash.get(TIER_KEY, "")
        allowance = self.allowance.get(tier, 0.0)
        properties = item.user_properties
        kept = len(properties)
        repeats = failed = skipped = 0
        self._repeating, self._ran = True, []
        try:
            while repeats < self.needed and self.spent[tier] < allowance:
                began = time.monotonic()
                # torn down to its parent: the test's own (function-scoped) fixtures are
                # set up afresh for each repeat, its class', module's and session's stay.
                # (``nextitem=item`` kept the item itself set up, so a repeat after the first
                # ran with no fixture values or parameters: KeyError on every argument)
                reports = runtestprotocol(item, nextitem=_kept(item), log=False)
                self.spent[tier] += time.monotonic() - began
                if any(r.failed for r in reports):
                    repeats, failed = repeats + 1, 1
                    break  # one failure decides: the logged run says whether it contradicts
                if any(r.skipped for r in reports):
                    # a skip or an xfail ends the repeats; it is judged against the logged
                    # run, so a test that skips itself when run again is not left unjudged
                    skipped = 1
                    break
                repeats += 1
        finally:
            self._repeating = False
        del properties[kept:]  # a repeat's metric samples are not the test's evidence
        properties.append((PROPERTY, {"repeats": repeats, "failed": failed,
                                      "skipped": skipped, "needed": self.needed,
                                      "why": [*why, *self._ran][:MAX_WHY]}))

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """After the test's own teardown, before its teardown report: the changed support
        files it was the first to read (the reports carry the entry)."""
        recorder = self.recorder
        if not self.unread or recorder is None:
            return  # the hot path: no changed support file is left unread
        first_read = recorder.first_read
        added = len(first_read) - self._mark
        if not added:
            return
        self._mark = len(first_read)
        found = [self.unread.pop(real) for real in list(islice(reversed(first_read), added))
                 if real in self.unread]
        if found:
            self._ran_into(item, [RAN_INTO + name for name in sorted(found)])

    def _ran_into(self, item: pytest.Item, why: list[str]) -> None:
        if self._repeating:  # its entry is written after its repeats
            self._ran += why
            return
        properties = item.user_properties
        for entry in reversed(properties):
            if len(entry) == 2 and entry[0] == PROPERTY and isinstance(entry[1], dict):
                entry[1]["why"] = [*entry[1].get("why", []), *why][:MAX_WHY]
                return
        # not an arriving test: never repeated, so the gate finds it unproven and says why
        properties.append((PROPERTY, {"repeats": 0, "failed": 0, "skipped": 0,
                                      "needed": self.needed, "why": why}))


def _kept(item: pytest.Item) -> pytest.Item | None:
    """What a repeat's teardown keeps set up: the item's parent chain (pytest's teardown
    reads only ``listchain()`` of it)."""
    return cast("pytest.Item | None", item.parent)


def _name(path: Path, top: Path) -> str:
    """A file's path relative to the top ("" when outside it)."""
    try:
        return path.resolve().relative_to(top).as_posix()
    except ValueError:
        return ""
