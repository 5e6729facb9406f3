"""Gates: each judges one fact of a run against a threshold and says why."""

from __future__ import annotations

from pytest_pyramid.results import (
    LEVELS,
    ON_MISSING,
    GateResult,
    Level,
    OnMissing,
    Status,
    effect_of,
)

__all__ = ["LEVELS", "ON_MISSING", "GateResult", "Level", "OnMissing", "Status", "effect_of"]
