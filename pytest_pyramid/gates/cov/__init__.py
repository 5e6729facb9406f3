"""Coverage gates per tier, in total and on the changed lines (issue 3).

Measurement is pytest-cov's; this package switches coverage.py's dynamic context when the
tier changes, then reads the combined data at session end. See docs/coverage.md.
"""

from __future__ import annotations

from pytest_pyramid.gates.cov.config import CoverageSettings, TierCoverage, parse_coverage_settings

__all__ = ["CoverageSettings", "TierCoverage", "parse_coverage_settings"]
