"""``external.<name>``: a threshold on a number read from outside the run
(``[tool.pyramid.metrics.<name>]``: Prometheus, a file, a command; ``gates/sources/``), such
as the seed strategy's business gates (conversion rate, support tickets)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.sources import Metric
    from pytest_pyramid.gates.spec import Context, GateConfig, Setup
    from pytest_pyramid.results import GateResult


def _active(setup: Setup) -> bool:
    return setup.raw.get("metrics") is not None


def _prepare(setup: Setup, config: GateConfig) -> tuple[Metric, ...]:
    from pytest_pyramid.gates.sources import parse_metrics

    return parse_metrics(setup.raw.get("metrics"), setup.source)


def _evaluate(metrics: tuple[Metric, ...], ctx: Context) -> list[GateResult]:
    from pytest_pyramid.gates.external import evaluate

    return evaluate(metrics, ctx.setup.rootdir)


SPEC = GateSpec(
    id="external.*",
    level="block",
    evaluate=_evaluate,
    prepare=_prepare,
    active=_active,
    order=25,
    configurable=False,
    configured_in="[tool.pyramid.metrics.<name>] (its level, threshold and required keys)",
)
