"""Hooks other plugins and conftest files implement to extend pytest-pyramid."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.results import GateResult
    from pytest_pyramid.run.summary import RunSummary

hookspec = pytest.hookspec


@hookspec(firstresult=True)
def pytest_pyramid_tier(item: pytest.Item) -> str | None:
    """Return the tier of ``item`` by a rule of the project's own, or None to leave it to
    the configuration.

    Called once per test at collection (in the process that collects: each xdist worker),
    after the test's own tier marker (which always wins) and before the tiers' ``markers``
    and ``paths``. The first non-None answer is taken; a name that is not a tier is an
    error naming the test. Keep it cheap: it runs for every test.
    """


@hookspec
def pytest_pyramid_gates(config: pytest.Config, run: RunSummary) -> list[GateResult] | None:
    """Return gate results to add to the verdict.

    Called once, on the controller only, after every test ran. Each returned
    :class:`~pytest_pyramid.gates.GateResult` is listed in the verdict and counts in
    the decision by its level.
    """


@hookspec
def pytest_pyramid_verdict_sections(
    config: pytest.Config, run: RunSummary
) -> dict[str, object] | None:
    """Return top-level verdict sections (``metrics``, ``coverage``, ``risk`` ...).

    A returned ``"tiers"`` mapping of ``{tier: {key: value}}`` is merged into the
    per-tier entries instead of replacing them.
    """


@hookspec
def pytest_pyramid_verdict_written(
    config: pytest.Config, verdict: dict[str, object], path: Path
) -> None:
    """Called after the verdict file was written atomically to ``path``."""
