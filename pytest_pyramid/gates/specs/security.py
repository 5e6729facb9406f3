"""``static.security``: bandit findings by severity, and ``# nosec`` without a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec, Option, one_of, whole, with_static

if TYPE_CHECKING:
    from collections.abc import Mapping

GATE_ID = "static.security"
SEVERITIES: tuple[str, ...] = ("low", "medium", "high")
DEFAULT_LIMITS: Mapping[str, int | None] = {"high": 0, "medium": 5, "low": None}


def threshold_text(limits: Mapping[str, int | None] | None, max_unexplained_nosec: int) -> str:
    """The limits as the gate reports them, e.g. ``high <= 0, medium <= 5, ...``."""
    limits = dict(DEFAULT_LIMITS if limits is None else limits)
    limit_text = ", ".join(
        f"{sev} <= {limits[sev]}" for sev in reversed(SEVERITIES) if limits.get(sev) is not None
    )
    return f"{limit_text}, unexplained nosec <= {max_unexplained_nosec}".lstrip(", ")


SPEC = GateSpec(
    id=GATE_ID,
    level="block",
    prepare=with_static,
    evaluate="pytest_pyramid.gates.security:evaluate",
    sections="pytest_pyramid.gates.security:sections",
    options={
        "max_high": Option(DEFAULT_LIMITS["high"], whole(0)),
        "max_medium": Option(DEFAULT_LIMITS["medium"], whole(0)),
        "max_low": Option(DEFAULT_LIMITS["low"], whole(0)),
        "max_unexplained_nosec": Option(0, whole(0)),
        "min_confidence": Option("low", one_of(*SEVERITIES)),
    },
    order=62,
)
