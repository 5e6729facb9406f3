"""xdist glue: workers ship collection facts; the controller merges them and, with
``--tier-fail-fast``, releases each tier only after every earlier tier passed.

The tier barrier works through flag files in a directory the controller creates and
hands to workers in ``workerinput``: xdist's load scheduler keeps the last queued test of
a worker waiting until another test or shutdown arrives, so holding tests back in the
scheduler would deadlock; workers instead wait before the first test of a later tier.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.run.facts import WORKER_OUTPUT_KEY, absorb_all
from pytest_pyramid.run.session import facts_registry
from pytest_pyramid.run.stash import TIER_KEY

if TYPE_CHECKING:
    from collections.abc import Generator

    from pytest_pyramid.run.session import PyramidSession

SYNC_KEY = "pyramid_sync_dir"
_COUNTS = "counts.json"
_ABORT = "abort"
_POLL_S = 0.05


def _flag(sync_dir: Path, tier: str) -> Path:
    return sync_dir / f"tier-{tier}.done"


class ControllerHooks:
    """Registered on an xdist controller."""

    def __init__(self, owner: PyramidSession) -> None:
        self.owner = owner
        self.sync_dir = Path(tempfile.mkdtemp(prefix="pyramid-sync-")) if owner.fail_fast else None
        self.totals: dict[str, int] | None = None
        self.done: dict[str, set[str]] = {}
        self.released: set[str] = set()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if self.sync_dir is not None:
            node.workerinput[SYNC_KEY] = str(self.sync_dir)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        owner = self.owner
        worker_id = str(node.gateway.id)
        owner.workers.add(worker_id)
        # every worker's facts count: one may have imported what another did not
        shipped = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
        unknown = absorb_all(facts_registry(owner.config), shipped)
        if unknown:
            owner.crashes.append(
                f"xdist worker {worker_id} shipped facts no plugin here reads: "
                f"{', '.join(sorted(unknown))}")
        if error:
            owner.crashes.append(f"xdist worker {worker_id} went down: {error}")
            self._abort()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # every worker collects the same list (xdist refuses to run otherwise)
        if not self.owner.controller_ids:
            self.owner.controller_ids = list(ids)
            # items sharing a node id each count once (their reports are told apart by worker)
            shared = Counter(ids)
            self.owner.aggregator.duplicated = frozenset(n for n, c in shared.items() if c > 1)

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        self.owner.crashes.append(f"an xdist worker crashed while running {crashitem}")
        self._abort()

    def _abort(self) -> None:
        if self.sync_dir is not None and self.sync_dir.exists():
            (self.sync_dir / _ABORT).write_text("worker crashed")

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.sync_dir is None or report.when != "teardown":
            return
        tier = getattr(report, "pyramid_tier", None)
        if tier is None:
            return
        self.done.setdefault(tier, set()).add(report.nodeid)
        self._release_finished_tiers()

    def _release_finished_tiers(self) -> None:
        assert self.sync_dir is not None
        if self.totals is None:
            counts = self.sync_dir / _COUNTS
            if not counts.exists():
                return
            self.totals = json.loads(counts.read_text("utf-8"))
        for tier, total in self.totals.items():
            if tier in self.released or len(self.done.get(tier, ())) < total:
                continue
            self.released.add(tier)
            outcome = "failed" if tier in self.owner.failed_tiers else "ok"
            _flag(self.sync_dir, tier).write_text(outcome)
            later = [t for t, n in self.totals.items() if n and t not in self.released]
            if outcome == "failed" and later and self.owner.stopped_after is None:
                self.owner.stopped_after = tier

    @pytest.hookimpl
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.sync_dir is not None:
            shutil.rmtree(self.sync_dir, ignore_errors=True)


class WorkerBarrier:
    """Registered on xdist workers when ``--tier-fail-fast`` is on."""

    def __init__(self, owner: PyramidSession, sync_dir: Path) -> None:
        self.owner = owner
        self.sync_dir = sync_dir
        self.earlier: dict[str, list[str]] = {}
        self.blocked_from: int | None = None

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        counts = Counter(item.stash[TIER_KEY] for item in session.items)
        order = self.owner.order
        present = sorted(counts, key=order.__getitem__)
        self.earlier = {tier: present[:index] for index, tier in enumerate(present)}
        target = self.sync_dir / _COUNTS
        if not target.exists():
            write_json_atomic(target, dict(counts))

    def _wait_for(self, tier: str) -> bool:
        """Wait until every earlier tier finished; False when one failed or a worker died."""
        for earlier in self.earlier.get(tier, ()):
            flag = _flag(self.sync_dir, earlier)
            while not flag.exists():
                if (self.sync_dir / _ABORT).exists() or not self.sync_dir.exists():
                    return False
                time.sleep(_POLL_S)
            if flag.read_text() != "ok":
                return False
        return True

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        order = self.owner.order[item.stash[TIER_KEY]]
        unblocked = self.blocked_from is None or order < self.blocked_from
        if unblocked and not self._wait_for(item.stash[TIER_KEY]):
            self.blocked_from = order
        return (yield)

    def should_skip(self, item: pytest.Item) -> bool:
        return self.blocked_from is not None and (
            self.owner.order[item.stash[TIER_KEY]] >= self.blocked_from
        )


class WorkerSkip:
    """The non-wrapper half of the barrier: a test behind a failed tier is not run at all."""

    def __init__(self, barrier: WorkerBarrier) -> None:
        self.barrier = barrier

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> bool | None:
        return True if self.barrier.should_skip(item) else None
