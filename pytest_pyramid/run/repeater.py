"""Runs an arriving test again before its logged run (the rule: ``run/arrival.py``)."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.arrival import (
    PROPERTY,
    arrives,
    attempts_needed,
    conftest_folders,
    new_to_ledger,
)
from pytest_pyramid.run.changes import since
from pytest_pyramid.run.stash import CHANGES_KEY, TIER_KEY

if TYPE_CHECKING:
    from pytest_pyramid.config import Settings
    from pytest_pyramid.run.arrival import ArrivalSettings


class ArrivalRepeater:
    """Repeats the arriving tests of this process (see the module's docstring)."""

    def __init__(self, settings: Settings, arrival: ArrivalSettings, base: str | None,
                 seen: frozenset[str] | None = None) -> None:
        self.settings = settings
        self.needed = attempts_needed(arrival.bound)
        self.allowance = {name: arrival.share * spec.budget
                          for name, spec in settings.tiers.items() if spec.budget}
        self.spent: dict[str, float] = defaultdict(float)
        self.base = base
        #: the node ids the flake ledger holds (run/arrival.ledger_seen); None: no "new" rule
        self.seen = seen
        self.arriving: frozenset[str] = frozenset()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        new = new_to_ledger((item.nodeid for item in session.items), self.seen)
        self.arriving = new | self._changed(session)

    def _changed(self, session: pytest.Session) -> frozenset[str]:
        """The collected tests whose file (or a ``conftest.py`` above it) changed since the
        base; none without a base, or when git cannot tell (the gate says why:
        ``arrival_status``; nothing is repeated blind)."""
        if self.base is None:
            return frozenset()
        memo = session.config.stash.setdefault(CHANGES_KEY, {})
        changes = since(memo, Path(self.settings.rootdir), self.base)
        if changes.top is None or changes.reason is not None:
            return frozenset()
        top, changed = changes.top, changes.names()
        # one resolve() per file, not per item: a file of a 60k-item suite holds hundreds
        changed_file: dict[Path, bool] = {}
        fixtures = conftest_folders(changed)
        arriving = set()
        for item in session.items:
            found = changed_file.get(item.path)
            if found is None:
                try:
                    name = item.path.resolve().relative_to(top).as_posix()
                except ValueError:
                    name = ""
                found = changed_file[item.path] = arrives(name, changed, fixtures)
            if found:
                arriving.add(item.nodeid)
        return frozenset(arriving)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        if item.nodeid not in self.arriving:
            return  # the hot path: one set lookup
        from _pytest.runner import runtestprotocol

        tier = item.stash.get(TIER_KEY, "")
        allowance = self.allowance.get(tier, 0.0)
        properties = item.user_properties
        kept = len(properties)
        repeats = failed = skipped = 0
        while repeats < self.needed and self.spent[tier] < allowance:
            began = time.monotonic()
            # ``nextitem=item``: the fixtures the test itself needs next stay set up
            reports = runtestprotocol(item, nextitem=item, log=False)
            self.spent[tier] += time.monotonic() - began
            if any(r.failed for r in reports):
                repeats, failed = repeats + 1, 1
                break  # one failure decides: the logged run says whether it contradicts
            if any(r.skipped for r in reports):
                # a skip or an xfail ends the repeats; it is judged against the logged run,
                # so a test that skips itself when run again is not left unjudged
                skipped = 1
                break
            repeats += 1
        del properties[kept:]  # a repeat's metric samples are not the test's evidence
        properties.append((PROPERTY, {"repeats": repeats, "failed": failed,
                                      "skipped": skipped, "needed": self.needed}))
