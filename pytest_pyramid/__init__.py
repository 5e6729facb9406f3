"""pytest-pyramid: pyramid tiers, budgets and gates that turn a test suite into a release verdict.

PYTEST_DONT_REWRITE: the plugin has no assertions to rewrite; the marker keeps pytest from
warning when a test session of its own (pytester) loads the already-imported package.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pytest_pyramid.gates.base import GateResult
from pytest_pyramid.summary import MetricSample, RunSummary, TierStats

try:
    __version__ = version("pytest-pyramid")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["GateResult", "MetricSample", "RunSummary", "TierStats", "__version__"]
