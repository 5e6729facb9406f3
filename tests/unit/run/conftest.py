"""Fixtures of the tests laid out here by tools/layout_tests.py, defined once in
tests/support/ for every tier that needs them."""

from __future__ import annotations

from tests.support.truth.fixtures import project

__all__ = ["project"]
