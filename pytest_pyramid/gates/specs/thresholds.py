"""``metric.<name>``: thresholds on the numbers tests record (``[tool.pyramid.thresholds]``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.gates.spec import Context, GateConfig, Setup
    from pytest_pyramid.gates.thresholds import Threshold
    from pytest_pyramid.results import GateResult


def _prepare(setup: Setup, config: GateConfig) -> tuple[Threshold, ...]:
    if setup.raw.get("thresholds") is None:
        return ()  # the module loads only when thresholds are configured
    from pytest_pyramid.gates.thresholds import parse_thresholds

    return parse_thresholds(setup.raw["thresholds"], setup.source, tier_names=setup.tier_names)


def _evaluate(thresholds: tuple[Threshold, ...], ctx: Context) -> list[GateResult]:
    if not thresholds and not ctx.run.metrics:
        return []
    from pytest_pyramid.gates.thresholds import evaluate_thresholds

    return evaluate_thresholds(
        thresholds, ctx.run.metrics, tiers_not_selected=ctx.not_selected,
        discarded=ctx.run.metrics_discarded,
    )


def _sections(thresholds: tuple[Threshold, ...], ctx: Context) -> Mapping[str, object]:
    if not ctx.run.metrics:
        return {}
    from pytest_pyramid.gates.thresholds import metrics_section

    return {"metrics": metrics_section(ctx.run.metrics, thresholds)}


SPEC = GateSpec(
    id="metric.*",
    level="block",
    evaluate=_evaluate,
    prepare=_prepare,
    sections=_sections,
    order=20,
    configurable=False,
    configured_in="metric gates take their level from [tool.pyramid.thresholds] (long form)",
)
