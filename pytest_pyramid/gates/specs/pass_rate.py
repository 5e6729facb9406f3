"""``tests.pass_rate``: every executed test passed (quarantined failures are listed apart)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.spec import Context
    from pytest_pyramid.results import GateResult


def _evaluate(state: object, ctx: Context) -> list[GateResult]:
    from pytest_pyramid.gates.budgets import pass_rate_gate

    return [pass_rate_gate(ctx.run, ctx.quarantined)]


SPEC = GateSpec(
    id="tests.pass_rate",
    level="block",
    evaluate=_evaluate,
    order=0,
    configurable=False,
    configured_in="always blocks; known failures go into [tool.pyramid.quarantine]",
)
