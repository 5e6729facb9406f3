"""deploy/evidence.py: "healthy" is an allow-list of judged outcomes, and the newest evidence
about a commit decides (hostile cases 324, 325, 332 d); the ``judged`` column and its
migration (deploy/history.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.evidence import judged_healthy, last_attempt, lead_from
from pytest_pyramid.deploy.history import Deployment, History, legacy_judged
from pytest_pyramid.deploy.stats import compute

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
SHA = "a" * 40
DAY = timedelta(hours=24)


def row(ident: int, outcome: str, *, judged: bool | None = True, commit: str = SHA,
        dry: bool = False, kind: str = "deploy", reverted: bool = False,
        hours_ago: float = 1.0) -> Deployment:
    at = NOW - timedelta(hours=hours_ago)
    return Deployment(ident, at, at + timedelta(minutes=2), commit, None, "canary", dry,
                      outcome, "", 120.0, None, kind, reverted_by=9 if reverted else None,
                      judged=judged if outcome == "succeeded" else False)


JUDGED = row(1, "succeeded")


@pytest.mark.parametrize(("rows", "healthy", "said"), [
    ([JUDGED], True, "its last staging attempt of it: #1 succeeded"),
    # 324: no request reached it ("too little traffic to judge"), or promoted past its steps
    ([row(1, "succeeded", judged=False)], False, "#1 succeeded (succeeded unjudged"),
    # a row of a file no deploy of this version migrated: not a pass
    ([row(1, "succeeded", judged=None)], False, "recorded before judgements were"),
    # 325: staging rolled the same commit back (or aborted, failed it) on a later attempt
    ([JUDGED, row(2, "rolled_back")], False, "its last staging attempt of it: #2 rolled_back"),
    ([JUDGED, row(2, "aborted")], False, "#2 aborted"),
    ([JUDGED, row(2, "failed")], False, "#2 failed"),
    ([JUDGED, row(2, "in_progress")], False, "#2 in_progress"),
    # a refusal, a dry run, `unchanged`, another commit, a rollback row: not attempts of it
    ([JUDGED, row(2, "refused"), row(3, "succeeded", dry=True, judged=False),
      row(4, "unchanged"), row(5, "rolled_back", commit="b" * 40),
      row(6, "aborted", kind="rollback")], True, "#1 succeeded"),
    # an earlier failure is superseded by a later judged success
    ([row(1, "rolled_back"), row(2, "succeeded")], True, "#2 succeeded"),
    ([row(1, "succeeded", reverted=True)], False, "(reverted by #9)"),
    ([row(1, "succeeded", hours_ago=30)], False, "outside the window"),
    ([], False, "staging never deployed it"),
])
def test_the_last_attempt_decides_and_only_a_judged_success_is_healthy(
    rows: list[Deployment], healthy: bool, said: str
) -> None:
    for order in (rows, rows[::-1]):  # whatever order the rows come in
        evidence = judged_healthy(order, SHA, NOW, DAY, "staging")
        assert evidence.healthy is healthy
        assert said in evidence.said


def test_the_last_attempt_is_the_newest_row_of_the_commit() -> None:
    assert last_attempt([row(3, "rolled_back"), row(7, "succeeded"), row(5, "failed")],
                        SHA) == row(7, "succeeded")
    assert last_attempt([row(1, "refused")], SHA) is None


@pytest.mark.parametrize(("verdict", "expected"), [
    # 332 d: a commit dated two days ahead (a laptop's clock): bounded by the verdict's time
    ({"commit_time": "2026-12-09T12:00:00+00:00", "created_at": "2026-12-07T11:00:00Z"},
     "2026-12-07T11:00:00.000Z"),
    ({"commit_time": "2026-12-07T10:00:00+01:00", "created_at": "2026-12-07T11:00:00Z"},
     "2026-12-07T09:00:00.000Z"),
    ({"commit_time": "2026-12-07T10:00:00+00:00", "created_at": "garbage"},
     "2026-12-07T10:00:00+00:00"),
    ({"commit_time": None, "created_at": "2026-12-07T11:00:00Z"}, None),
    ({"commit_time": "yesterday", "created_at": "2026-12-07T11:00:00Z"}, None),
    ({"commit_time": 17, "created_at": "2026-12-07T11:00:00Z"}, None),
])
def test_lead_time_counts_from_the_commit_time_bounded_by_the_verdicts(
    verdict: dict[str, object], expected: str | None
) -> None:
    assert lead_from(verdict) == expected


def test_a_lead_time_is_never_negative() -> None:
    ahead = replace(JUDGED, commit_time=NOW + timedelta(days=2), exposed_at=NOW)
    assert compute([ahead], now=NOW).median_lead_time_s == 0.0


@pytest.mark.parametrize(("outcome", "reason", "judged"), [
    ("succeeded", "every step passed its analysis and the bake", True),
    ("succeeded", "every step passed its analysis", True),
    ("succeeded", "first deployment: no stable version to compare with; first step 100%: 3 "
                  "measurement(s) within the limits", True),
    ("succeeded", "first deployment: no stable version to compare with; first step 100%: too "
                  "little traffic to judge in 1 measurement(s) (0 request(s))", False),
    ("succeeded", "promoted by ops at step 1", False),
    ("succeeded", "rollout #3 was left promoting; the new version took over", False),
    ("succeeded", "every step passed its analysis; then something else", False),
    ("rolled_back", "every step passed its analysis", False),
])
def test_rows_from_before_judged_was_recorded_are_read_by_an_allow_list(
    outcome: str, reason: str, judged: bool
) -> None:
    assert legacy_judged(outcome, reason) is judged


def test_the_migration_to_version_2_records_judged_once(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    history = History(path)
    for reason in ("every step passed its analysis", "promoted by ops at step 1"):
        ident = history.start(commit=SHA, commit_time=None, strategy="canary",
                              dry_run=False, verdict_path="v")
        history.finish(ident, outcome="succeeded", reason=reason)
    history.close()
    with sqlite3.connect(path) as db:  # as a version 1 file: no judged column yet
        db.execute("ALTER TABLE deployments DROP COLUMN judged")
        db.execute("PRAGMA user_version = 1")
    assert [d.judged for d in History(path).deployments()] == [False, True]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        db.execute("UPDATE deployments SET reason = 'every step passed its analysis'")
    # from version 2 on the reason text is never read again
    assert [d.judged for d in History(path).deployments()] == [False, True]


def test_a_success_is_judged_only_where_the_caller_says_so(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    said = {}
    for judged in (True, False):
        ident = history.start(commit=SHA, commit_time=None, strategy="canary",
                              dry_run=False, verdict_path="v")
        history.finish(ident, outcome="succeeded", reason="", judged=judged)
        said[ident] = judged
    failed = history.start(commit=SHA, commit_time=None, strategy="canary", dry_run=False,
                           verdict_path="v")
    history.finish(failed, outcome="rolled_back", reason="", judged=True)
    rows = {d.id: d.judged for d in history.deployments()}
    assert rows == {**said, failed: False}  # never true of another outcome
