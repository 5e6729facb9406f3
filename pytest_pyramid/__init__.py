"""pytest-pyramid: pyramid tiers, budgets and gates that turn a test suite into a release verdict.

PYTEST_DONT_REWRITE: the plugin has no assertions to rewrite; the marker keeps pytest from
warning when a test session of its own (pytester) loads the already-imported package.
"""

from __future__ import annotations

from pytest_pyramid.gates.base import GateResult
from pytest_pyramid.summary import MetricSample, RunSummary, TierStats

#: The one place the version is written; pyproject.toml reads it (setuptools ``attr``), so the
#: plugin does not pay for a package-metadata lookup on every pytest start.
__version__ = "0.1.0"

__all__ = ["GateResult", "MetricSample", "RunSummary", "TierStats", "__version__"]
