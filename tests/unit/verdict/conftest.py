"""Fixtures of the tests laid out here by tools/layout_tests.py, defined once in
tests/support/ for every tier that needs them."""

from __future__ import annotations

from tests.support.reports.fixtures import _no_ci_identity

__all__ = ["_no_ci_identity"]
