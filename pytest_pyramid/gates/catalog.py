"""Ids and defaults of the optional gates, importable without the gates' code.

The engine validates ``[tool.pyramid.gates]`` at start-up and reports a static gate that did
not run with the limit it would have been judged against; neither needs the gate itself.
The gate modules (and risk) import their ids and defaults from here, and the engine imports
them only when their gate runs: most runs never execute a static gate or a risk assessment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.results import OnMissing

COMPLEXITY = "static.complexity"
COMPLEXITY_THRESHOLD = 10

DUPLICATION = "static.duplication"
DUPLICATION_THRESHOLD = 3.0
DUPLICATION_MIN_TOKENS = 50
DUPLICATION_MIN_LINES = 5

SECURITY = "static.security"
SEVERITIES: tuple[str, ...] = ("low", "medium", "high")
SECURITY_LIMITS: Mapping[str, int | None] = {"high": 0, "medium": 5, "low": None}

AUDIT = "static.audit"
AUDIT_THRESHOLD = 0
AUDIT_ON_MISSING: OnMissing = "warn"
AUDIT_TIMEOUT_S = 300.0

STATIC_GATES: tuple[str, ...] = (COMPLEXITY, DUPLICATION, SECURITY, AUDIT)

RISK = "risk.approval"
RISK_BASE_ENV = "PYRAMID_RISK_BASE"


def security_threshold_text(
    limits: Mapping[str, int | None] | None, max_unexplained_nosec: int
) -> str:
    """The limits as the security gate reports them, e.g. ``high <= 0, medium <= 5, ...``."""
    limits = dict(SECURITY_LIMITS if limits is None else limits)
    limit_text = ", ".join(
        f"{sev} <= {limits[sev]}" for sev in reversed(SEVERITIES) if limits.get(sev) is not None
    )
    return f"{limit_text}, unexplained nosec <= {max_unexplained_nosec}".lstrip(", ")
