"""Quarantine expiry is judged on the UTC date (``gates/flaky.utc_today``), whatever the
machine's zone: rows around midnight with ``TZ`` set, the clock injected (nothing frozen)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import pytest_pyramid
from pytest_pyramid.gates.flaky import QuarantineEntry, utc_today

if TYPE_CHECKING:
    from collections.abc import Iterator

#: POSIX zone strings (no tz database needed): 14 hours east of UTC, 12 hours west
EAST, WEST = "XST-14", "YST+12"


def _epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp()


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    monkeypatch.undo()
    time.tzset()  # the process's zone back as it was


@pytest.mark.parametrize(
    ("tz", "now", "utc", "local"),
    [
        (EAST, "2026-03-01T10:30:00", "2026-03-01", "2026-03-02"),
        (EAST, "2026-03-01T23:59:59", "2026-03-01", "2026-03-02"),
        (EAST, "2026-03-02T00:00:00", "2026-03-02", "2026-03-02"),
        (WEST, "2026-03-01T23:59:59", "2026-03-01", "2026-03-01"),
        (WEST, "2026-03-02T00:00:00", "2026-03-02", "2026-03-01"),
        (WEST, "2026-03-02T11:59:59", "2026-03-02", "2026-03-01"),
        ("UTC0", "2026-03-02T00:00:00", "2026-03-02", "2026-03-02"),
    ],
)
def test_the_expiry_day_is_the_utc_date_in_any_zone(
    zone: pytest.MonkeyPatch, tz: str, now: str, utc: str, local: str
) -> None:
    zone.setenv("TZ", tz)
    time.tzset()
    seconds = _epoch(now)
    assert dt.date.fromtimestamp(seconds).isoformat() == local  # the zone took effect
    assert utc_today(seconds).isoformat() == utc


@pytest.mark.parametrize("tz", [EAST, WEST])
@pytest.mark.parametrize(
    ("now", "expired"),
    [("2026-03-01T00:00:00", False), ("2026-03-01T23:59:59", False),
     ("2026-03-02T00:00:00", True)],
)
def test_an_entry_lapses_at_midnight_utc_after_its_last_day(
    zone: pytest.MonkeyPatch, tz: str, now: str, expired: bool
) -> None:
    zone.setenv("TZ", tz)
    time.tzset()
    entry = QuarantineEntry("t.py::a", "alice", dt.date(2026, 3, 1), "sandbox")
    assert entry.expired(utc_today(_epoch(now))) is expired


def test_no_module_reads_the_machines_date() -> None:
    """One clock for expiry: a ``date.today()`` anywhere would judge in the local zone."""
    package = Path(pytest_pyramid.__file__).parent
    found = [str(p.relative_to(package)) for p in sorted(package.rglob("*.py"))
             if "date.today()" in p.read_text(encoding="utf-8")]
    assert found == []


def test_a_time_time_a_test_replaced_is_not_the_judgements_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # hostile cases 200, 215: the gates and a shard's partial writer run after the session in
    # the tests' process; the judgement's clock was bound before any test could replace it
    from pytest_pyramid.durations import now, utc_now

    monkeypatch.setattr(time, "time", lambda: 0.0)
    assert time.time() == 0.0
    assert utc_today().year > 1970
    assert now() > 0.0
    assert utc_now().year > 1970


def test_every_recorded_or_judged_time_reads_the_one_clock() -> None:
    """``durations.now``/``utc_now`` are the one clock (bound at import): the audit's daily
    cache key, the run history's ``appended_at``, a verdict's age and the deploy's records
    read it, so a ``datetime.datetime`` a test replaced and left (``mock.patch(
    "datetime.datetime").start()``) picks no other day's cached audit."""
    package = Path(pytest_pyramid.__file__).parent
    found = [str(p.relative_to(package)) for p in sorted(package.rglob("*.py"))
             if any(call in p.read_text(encoding="utf-8")
                    for call in ("datetime.now(", ".utcnow(", ".today()"))]
    assert found == []


def _freezegun_like_rebind(monkeypatch: pytest.MonkeyPatch, fake: object) -> int:
    """What freezegun's ``start()`` does to the clocks: every module attribute that *is* the
    real ``time.time`` / ``time.monotonic`` / ``time.perf_counter`` is rebound; here in the
    ``time`` module and this plugin's own, not pytest's (whose report times this very test's
    teardown would then measure from the fake clock)."""
    import sys

    real = {id(time.time), id(time.monotonic), id(time.perf_counter)}
    rebound = 0
    for name_of, module in list(sys.modules.items()):
        if module is None or not (name_of == "time" or name_of.startswith("pytest_pyramid")):
            continue
        for name, value in list(vars(module).items()):
            if id(value) in real:
                monkeypatch.setattr(module, name, fake)
                rebound += 1
    return rebound


def test_a_clock_rebound_in_every_module_is_not_the_judgements_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # hostile cases 255, 259: freezegun's start() rebinds every module attribute that is the
    # real clock (a reference bound at import included); the judgement's clock lives in a
    # closure and is advanced by the monotonic clock, which neither freezegun's scan nor
    # time-machine moves
    from pytest_pyramid import durations

    before = time.time()
    year = dt.datetime.fromtimestamp(before, dt.timezone.utc).year
    assert _freezegun_like_rebind(monkeypatch, lambda *_: 0.0) > 0
    assert time.time() == 0.0
    assert abs(durations.now() - before) < 3600  # the real time, not the frozen epoch
    assert durations.utc_now().year == year
    assert utc_today().year == year
