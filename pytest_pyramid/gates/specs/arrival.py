"""``tests.flaky_on_arrival``: tests changed since the merge base were repeated on this tree
and none passed and failed (gates/arrival.py; the repeats: run/arrival.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.spec import Context, GateConfig, Setup
    from pytest_pyramid.results import GateResult


def _active(setup: Setup) -> bool:
    """On where the project named a base (or asked for it): ``[tool.pyramid.flaky] arrival``
    true, or a base from ``--pyramid-diff-base``, ``PYRAMID_RISK_BASE`` or the tracked
    configuration; off with ``arrival = false``."""
    from pytest_pyramid.run.changes import resolve_base

    table = setup.raw.get("flaky")
    asked = table.get("arrival") if isinstance(table, dict) else None
    if asked is False:
        return False
    return asked is True or resolve_base(setup.raw, setup.risk_base, "arrival",
                                         setup.environ) is not None


def _evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    from pytest_pyramid.gates.arrival import arrival_gate
    from pytest_pyramid.run.arrival import ArrivalSettings, arrival_status

    arrival = ArrivalSettings.from_table(ctx.setup.raw.get("flaky"))
    base, why_not = arrival_status(ctx.setup.settings, ctx.setup.risk_base,
                                   ctx.setup.changes, ctx.setup.environ)
    return [arrival_gate(ctx.run.every_item(), base=base, why_not=why_not, bound=arrival.bound,
                         level=config.level, on_missing=config.on_missing)]


SPEC = GateSpec(id="tests.flaky_on_arrival", level="block", on_missing="warn",
                evaluate=_evaluate, active=_active, order=32)
