"""Parsing of human durations such as ``"250ms"``, ``"30s"``, ``"5m"``, ``"1h"``, and the one
clock the judgement reads (:func:`now`)."""

from __future__ import annotations

import math
import re
from datetime import datetime as _datetime
from datetime import timezone as _timezone

# Bound when the plugin's entry points import this module, before any conftest or test: the
# gates, the writer and a shard's partial writer run after the session in the process the
# tests ran in, and a test that froze the clock and never put it back (``time.time = ...``,
# ``mock.patch("time.time").start()``, freezegun started at import) would otherwise decide
# which quarantine entries expired and which shard try is the later one (hostile cases 200,
# 215). pytest binds its own durations' clock the same way (``_pytest.timing``).
from time import time as _time

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


def now() -> float:
    """Seconds since the epoch, from the clock bound when the plugin was imported: every
    time the judgement reads (expiry, a partial's end, a source's age) comes from here."""
    return _time()


def utc_now() -> _datetime:
    """:func:`now` as an aware UTC datetime (the real class, bound at import as well)."""
    return _datetime.fromtimestamp(_time(), _timezone.utc)
