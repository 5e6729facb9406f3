"""``budget.<tier>``: each tier's wall time (or summed test time) within its budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.spec import Context
    from pytest_pyramid.results import GateResult


def _evaluate(state: object, ctx: Context) -> list[GateResult]:
    from pytest_pyramid.gates.budgets import budget_gates

    settings = ctx.setup.settings
    return budget_gates(ctx.run, settings.tiers, settings.budget_basis)


SPEC = GateSpec(
    id="budget.*",
    level="block",
    evaluate=_evaluate,
    order=10,
    configurable=False,
    configured_in="budget levels are set per tier: [tool.pyramid.tiers.<tier>] budget_level",
)
