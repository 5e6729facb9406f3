"""The last good release (deploy/way_back.py): one rule for the rollback target, a dead
stable's way back and the limits anchor (hostile cases 422, 424, 425)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pytest_pyramid.deploy.history import Deployment
from pytest_pyramid.deploy.way_back import last_good, newest_decisions, withdrawn

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def row(ident: int, commit: str, outcome: str = "succeeded", *, kind: str = "deploy",
        dry: bool = False, reverted: int | None = None) -> Deployment:
    at = T0 + timedelta(hours=ident)
    return Deployment(ident, at, at + timedelta(minutes=2), commit, None, "canary", dry,
                      outcome, "", 1.0, None, kind=kind, reverted_by=reverted)


def seen(commit: str, hours: int, decision: str) -> dict[str, str]:
    return {"commit": commit, "created_at": (T0 + timedelta(hours=hours)).isoformat(),
            "digest": f"d{hours}", "decision": decision}


@pytest.mark.parametrize(("rows", "verdicts", "want", "passed"), [
    # the newest success is the last good release
    ([row(1, "a"), row(2, "b")], [], 2, 0),
    # 425: a reverted success is not; the release before it is
    ([row(1, "a"), row(2, "b", reverted=3), row(3, "a", kind="rollback")], [], 1, 0),
    # failures, dry runs and rollback rows never are
    ([row(1, "a"), row(2, "b", "rolled_back"), row(3, "c", dry=True)], [], 1, 0),
    # 422: the host's newest verdict of the commit is blocked: passed over, named
    ([row(1, "a"), row(2, "b")], [seen("b", 1, "ready"), seen("b", 5, "blocked")], 1, 1),
    # an older blocked verdict, a newer ready one: still vouched for
    ([row(1, "a"), row(2, "b")], [seen("b", 1, "blocked"), seen("b", 5, "ready")], 2, 0),
    # nothing good at all: none, and why
    ([row(1, "a")], [seen("a", 9, "needs_approval")], None, 1),
    ([], [], None, 0),
])
def test_last_good(rows: list[Deployment], verdicts: list[dict[str, str]], want: int | None,
                   passed: int) -> None:
    pick = last_good(rows, newest_decisions(verdicts))
    assert (pick.row.id if pick.row else None, len(pick.passed_over)) == (want, passed)


def test_accept_narrows_and_unreadable_dates_are_no_evidence() -> None:
    rows = [row(1, "a"), row(2, "b")]
    assert last_good(rows, {}, accept=lambda r: r.commit != "b").row == rows[0]
    newest = newest_decisions([{"commit": "b", "created_at": "later", "decision": "blocked"}])
    assert newest == {}
    assert withdrawn("b", newest) is None
    said = withdrawn("b", newest_decisions([seen("b", 2, "blocked")]))
    assert said is not None
    assert "blocked, not ready" in said
