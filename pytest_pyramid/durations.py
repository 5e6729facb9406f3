"""Parsing of human durations such as ``"250ms"``, ``"30s"``, ``"5m"``, ``"1h"``, and the one
clock the judgement reads (:func:`now`)."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime as _datetime

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_duration(value: object) -> float:
    """Return seconds for a duration string or number; raise ValueError with the reason."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like '30s', '250ms', '5m', '1h' or seconds")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError("expected a duration like '30s', '250ms', '5m', '1h' or seconds")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ValueError("expected a duration like '30s', '250ms', '5m', '1h' or seconds")
    if not math.isfinite(seconds):
        raise ValueError("a duration must be a finite number of seconds")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form used in terminal output (``"850ms"``, ``"12.3s"``, ``"4m05s"``)."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _bound_clock() -> tuple[Callable[[], float], Callable[[], _datetime]]:
    """The wall clock read once, now, and advanced by the monotonic clock, every reference
    held in this closure: the gates, the writer and a shard's partial writer run after the
    session in the process the tests ran in, and a test that left the clock moved would
    otherwise decide which quarantine entries expired and which shard try is the later one
    (hostile cases 200, 215). Bound when the plugin's entry points import this module, before
    any conftest or test. A closure, not module attributes: freezegun's ``start()`` rebinds
    every module attribute that *is* the real ``time.time`` (this module's too, hostile case
    259); time-machine swaps the C function behind ``time.time`` itself, so even a reference
    bound at import answers its travelled time (case 255). Neither moves the monotonic clock,
    which measures how long ago the wall clock was read."""
    from datetime import datetime, timezone
    from time import monotonic, time

    wall_then, since = time(), monotonic()

    def wall() -> float:
        return wall_then + (monotonic() - since)

    def utc() -> _datetime:
        return datetime.fromtimestamp(wall(), timezone.utc)

    return wall, utc


_WALL, _UTC = _bound_clock()


def now() -> float:
    """Seconds since the epoch, from the clock bound when the plugin was imported: every
    time the judgement reads (expiry, a partial's end, a source's age) comes from here."""
    return _WALL()


def utc_now() -> _datetime:
    """:func:`now` as an aware UTC datetime (the real class, bound at import as well)."""
    return _UTC()


def wall_utc() -> _datetime:
    """The kernel's wall clock, read at each call: what the deploy records for people and
    other hosts to read (history rows, backups' names, anchors). Its supervisor lives for
    weeks; a clock bound at its start would part from the world's by every step NTP or an
    operator makes (tests/e2e/deploy/test_clock_step.py: a row's start and end must lie a real
    step apart, while its durations come from the monotonic clock). No test runs in a deploy
    process to move it; a test run's judgement reads :func:`utc_now`."""
    from datetime import datetime, timezone
    from time import time

    return datetime.fromtimestamp(time(), timezone.utc)
