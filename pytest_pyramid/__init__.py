"""pytest-pyramid: pyramid tiers, budgets and gates that turn a test suite into a release verdict.

PYTEST_DONT_REWRITE: the plugin has no assertions to rewrite; the marker keeps pytest from
warning when a test session of its own (pytester) loads the already-imported package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_pyramid.results import GateResult
    from pytest_pyramid.run.summary import MetricSample, RunSummary, TierStats

#: The one place the version is written; pyproject.toml reads it (setuptools ``attr``), so the
#: plugin does not pay for a package-metadata lookup on every pytest start.
__version__ = "0.1.0"

#: The distribution's name on the package index (pyproject.toml ``[project] name``). The
#: index's ``pytest-pyramid`` is another project (fixtures for the Pyramid web framework)
#: that ships an import package of the same name, ``pytest_pyramid``; see ``foreign.py``.
DISTRIBUTION = "pytest-pyramid-verdict"

__all__ = [
    "DISTRIBUTION", "GateResult", "MetricSample", "RunSummary", "TierStats", "__version__",
]

# Loaded on first use: pytest imports this package in every project where it is installed,
# and a project without [tool.pyramid] must not pay for the plugin's data classes.
_LAZY = {
    "GateResult": "pytest_pyramid.results",
    "MetricSample": "pytest_pyramid.run.summary",
    "RunSummary": "pytest_pyramid.run.summary",
    "TierStats": "pytest_pyramid.run.summary",
}


def lazy_attribute(package: str, namespace: dict[str, Any], table: dict[str, str],
                   name: str) -> Any:
    """A package's ``__getattr__`` (PEP 562) for re-exports loaded on first use: ``name``
    from its module in ``table``, kept in ``namespace`` so the next lookup is a plain one."""
    module = table.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = namespace[name] = getattr(importlib.import_module(module), name)
    return value


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, globals(), _LAZY, name)
