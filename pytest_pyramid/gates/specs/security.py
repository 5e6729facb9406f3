"""``static.security``: bandit findings by severity, and ``# nosec`` without a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec, Option, one_of, resolve, whole, with_static
from pytest_pyramid.gates.static_run import idle

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.gates.spec import Context, GateConfig
    from pytest_pyramid.results import GateResult

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


def limits_of(config: GateConfig) -> dict[str, int | None]:
    """The gate's per-severity limits, from its ``max_<severity>`` options."""
    return {sev: config.opt(f"max_{sev}") for sev in SEVERITIES}


def _evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    """Idle (the static gates do not run in this session) is judged before the
    implementation, and bandit's wrapper with it, is imported: most runs never need it."""
    threshold = threshold_text(limits_of(config), config.opt("max_unexplained_nosec"))
    skipped = idle(ctx, GATE_ID, config, threshold)
    if skipped is not None:
        return skipped
    function = resolve("pytest_pyramid.gates.security:evaluate")
    results: list[GateResult] = function(config, ctx)
    return results


def _sections(config: GateConfig, ctx: Context) -> Mapping[str, object]:
    """The SARIF file the gate wrote, if it ran (``ctx.shared``: set by its evaluate)."""
    sarif = ctx.shared.get("sarif")
    return {"artifacts": {"sarif": sarif}} if sarif else {}


SPEC = GateSpec(
    id=GATE_ID,
    level="block",
    prepare=with_static,
    evaluate=_evaluate,
    sections=_sections,
    options={
        "max_high": Option(DEFAULT_LIMITS["high"], whole(0)),
        "max_medium": Option(DEFAULT_LIMITS["medium"], whole(0)),
        "max_low": Option(DEFAULT_LIMITS["low"], whole(0)),
        "max_unexplained_nosec": Option(0, whole(0)),
        "min_confidence": Option("low", one_of(*SEVERITIES)),
    },
    order=62,
)
