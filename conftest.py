"""Root conftest: the plugin's own tests drive real pytest runs through pytester."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

pytest_plugins = ["pytester"]
collect_ignore = ["suites", "benchmarks", "build"]


class TierProgress:
    """``./dev test`` (``PYRAMID_DEV_PROGRESS=1``): a line when each tier's first result
    arrives, with the time since the start, so a tier of slow tests (e2e: minutes of nginx,
    Chromium and demo runs behind one line of dots) does not look hung."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.started = time.monotonic()
        self.seen: set[str] = set()
        self.tier_of: dict[str, str] = {}

    def tier_started(self, tier: str) -> None:
        if tier in self.seen:
            return
        self.seen.add(tier)
        elapsed = int(time.monotonic() - self.started)
        self.write(f"dev: tier {tier} started ({elapsed // 60}m{elapsed % 60:02d}s in)")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from pytest_pyramid.run.stash import TIER_KEY

        # serial runs: the items' tiers, once (an xdist controller has no items)
        self.tier_of = {item.nodeid: item.stash.get(TIER_KEY, "") for item in session.items}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # outside output capture (a line written during setup would be captured)
        tier = getattr(report, "pyramid_tier", None) or self.tier_of.get(report.nodeid)
        if tier:
            self.tier_started(tier)


@pytest.hookimpl(trylast=True)  # after pytest's own configure registered the terminal
def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("PYRAMID_DEV_PROGRESS") or hasattr(config, "workerinput"):
        return
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None:
        return

    def write(line: str) -> None:
        # xdist's dots do not end their line for write_line; pytest has no public test for it
        terminal.ensure_newline()  # ends a serial run's "path " line
        writer = getattr(terminal, "_tw", None)
        if writer is not None and int(getattr(writer, "width_of_current_line", 0)):
            terminal.write("\n")
        terminal.write_line(line)

    config.pluginmanager.register(TierProgress(write), "pyramid-dev-progress")


@pytest.hookimpl(trylast=True)  # after the plugin grouped the tests by tier
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Within each tier, the tests marked ``slow`` (runs of the demo suite: a minute or more
    each) first, each tier's order kept otherwise. xdist hands out the tests in this order and
    keeps no more than two queued per worker at the end: a minute-long demo run collected last
    (tests/e2e/verdict/ is the suite's last folder) kept one worker busy while the other, its
    short tests done, had nothing left to take. ``./dev test`` caps xdist's chunks
    (``--maxschedchunk``): a chunk of a quarter of the pending tests pinned minutes of the
    e2e tier to one worker the same way."""
    from pytest_pyramid.run.stash import TIER_KEY

    tiers = [item.stash.get(TIER_KEY, "") for item in items]
    rank = {tier: index for index, tier in enumerate(dict.fromkeys(tiers))}
    order = {id(item): (rank[tier], item.get_closest_marker("slow") is None)
             for item, tier in zip(items, tiers, strict=True)}
    items.sort(key=lambda item: order[id(item)])  # stable: the rest keep their order
