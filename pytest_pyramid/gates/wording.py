"""Counted nouns for messages and reports: "1 test", "2 tests", never "1 tests" (pure)."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, the noun in the plural unless ``n`` is one (``plural``: irregular)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
