from __future__ import annotations

import pytest

from pytest_pyramid.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1.5s", 1.5),
        (" 2 s ", 2.0),
        ("7", 7.0),
        (12, 12.0),
        (0.5, 0.5),
        ("0", 0.0),
    ],
)
def test_parse_duration_accepts(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    ["", "fast", "5 minutes", "-1s", -3, True, None, [1], "1d", float("nan"), float("inf")],
)
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0123, "12ms"), (1.25, "1.2s"), (59.9, "59.9s"), (65, "1m05s"), (3725, "1h02m")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
