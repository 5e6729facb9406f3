"""The SQLite run history: one row per run id, the last 30 for the trends, continuity shown."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.verdict.history import (
    HistoryError,
    HistoryRow,
    append,
    continuity,
    recent,
    run_key,
)
from pytest_pyramid.verdict.report_html import render_html
from tests.verdict_factory import make_verdict, tier

if TYPE_CHECKING:
    from pathlib import Path


def verdict_of(number: int, **changes: Any) -> dict[str, Any]:
    data = make_verdict(
        "ready",
        tiers={"unit": tier(passed=number, collected=number,
                            coverage={"percent": 50.0 + number, "fail_under": 40.0}),
               "e2e": tier(passed=2, collected=2)},
        metrics={"load.p95_ms": {"aggregate": "worst", "value": 100.0 + number, "samples": []}},
        run_id=f"ci:{number}",
        run_number=number,
        created_at=f"2026-11-{number:02d}T10:00:00Z",
    )
    data.update(changes)
    return data


def test_thirty_runs_give_thirty_points_and_a_rerun_replaces_its_row(tmp_path: Path) -> None:
    db = tmp_path / "h" / "history.sqlite"
    for number in range(1, 31):
        assert append(db, verdict_of(number)) is True
    rows = recent(db)
    assert [r.run_number for r in rows] == list(range(1, 31))
    assert rows[-1].tiers["unit"] == {
        "tests": 30, "passed": 30, "failed": 0, "skipped": 0, "time_s": 0.1, "budget_s": 30.0,
        "coverage": 80.0, "status": "passed"}
    assert rows[-1].metrics == {"load.p95_ms": 130.0}
    # the same run appended again (a retried job): its row is replaced, not added
    again = verdict_of(30)
    again["decision"], again["reasons"] = "blocked", ["gate g failed"]
    assert append(db, again) is False
    rows = recent(db)
    assert len(rows) == 30
    assert rows[-1].decision == "blocked"
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM pyramid_runs").fetchone() == (30,)
    append(db, verdict_of(31))
    assert [r.run_number for r in recent(db)] == list(range(2, 32))  # the last 30


def test_a_verdict_without_run_id_is_keyed_by_its_content(tmp_path: Path) -> None:
    verdict = verdict_of(1)
    del verdict["run_id"]
    assert run_key(verdict) == run_key(dict(verdict))
    assert run_key(verdict).startswith("verdict:")
    db = tmp_path / "history.sqlite"
    assert append(db, verdict) is True
    assert append(db, verdict) is False
    other = {**verdict, "created_at": "2026-11-02T10:00:00Z"}
    assert append(db, other) is True
    assert len(recent(db)) == 2


def row(number: int | None, created: str) -> HistoryRow:
    return HistoryRow(seq=0, run_id="x", run_number=number, created_at=created, commit=None,
                      branch=None, decision="ready", tests=1, failed=0, duration_s=None)


@pytest.mark.parametrize(
    ("rows", "reordered", "missing"),
    [
        ([(1, "01"), (2, "02"), (3, "03")], [False, False, False], [0, 0, 0]),
        ([(1, "01"), (4, "04"), (5, "05")], [False, False, False], [0, 2, 0]),  # a gap
        ([(1, "01"), (3, "03"), (2, "02")], [False, False, True], [0, 1, 0]),  # out of order
        ([(None, "01"), (None, "03"), (None, "02")], [False, False, True], [0, 0, 0]),
        ([(5, "05"), (None, "06"), (6, "07")], [False, False, False], [0, 0, 0]),
    ],
)
def test_continuity_is_flagged_not_repaired(
    rows: list[tuple[int | None, str]], reordered: list[bool], missing: list[int]
) -> None:
    found = continuity([row(n, f"2026-11-{day}T00:00:00Z") for n, day in rows])
    assert [r.reordered for r in found] == reordered
    assert [r.missing_before for r in found] == missing
    assert [r.run_number for r in found] == [n for n, _ in rows]  # never re-sorted


def test_the_html_trend_draws_gaps_and_reordering(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    for number in (1, 2, 5, 3):  # runs 3 and 4 missing before 5; 3 appended late
        append(db, verdict_of(number))
    history = recent(db)
    page = render_html(verdict_of(3), [], history=history)
    assert 'id="continuity"' in page
    assert "1 run(s) appended out of order" in page
    assert "2 run(s) missing between runs shown" in page
    assert page.count('class="gap"') >= 1
    assert page.count('class="reordered"') >= 1
    # unit: tests, time, coverage; e2e: tests, time (no coverage measured); one metric
    assert page.count('<svg class="spark"') == 6
    assert page.count("no data") == 1


def test_a_metric_missing_in_a_run_breaks_its_line(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    append(db, verdict_of(1))
    append(db, verdict_of(2, metrics={}))
    append(db, verdict_of(3))
    page = render_html(verdict_of(3), [], history=recent(db))
    metric_row = page.split("<code>load.p95_ms</code>", 1)[1].split("</tr>", 1)[0]
    assert "<polyline" not in metric_row  # 1 and 3 are not joined across the missing 2
    assert metric_row.count("<circle") == 2


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b""])
def test_a_bad_history_file_is_an_error_naming_it(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "history.sqlite"
    db.write_bytes(content)
    if content:
        with pytest.raises(HistoryError, match=str(db)):
            recent(db)
        with pytest.raises(HistoryError, match=str(db)):
            append(db, verdict_of(1))
    else:  # an empty file is an empty database
        assert recent(db) == []
        append(db, verdict_of(1))
        assert len(recent(db)) == 1


def test_a_missing_history_is_empty_and_a_directory_is_refused(tmp_path: Path) -> None:
    assert recent(tmp_path / "none.sqlite") == []
    with pytest.raises(HistoryError, match="is a directory"):
        recent(tmp_path)


def test_the_history_shares_a_file_with_the_deploy_history(tmp_path: Path) -> None:
    from pytest_pyramid.deploy.history import History

    db = tmp_path / "history.sqlite"
    History(db)  # the deploy module's tables first
    append(db, verdict_of(1))
    assert len(recent(db)) == 1
    with sqlite3.connect(db) as connection:
        tables = {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"pyramid_runs", "deployments"} <= tables
