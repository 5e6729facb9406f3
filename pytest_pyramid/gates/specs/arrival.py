"""``tests.flaky_on_arrival``: tests changed since the merge base, or new to the flake ledger,
were repeated on this tree and none passed and failed (gates/arrival.py; the repeats:
run/arrival.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.spec import Context, GateConfig, Setup
    from pytest_pyramid.results import GateResult


def _active(setup: Setup) -> bool:
    """On unless ``[tool.pyramid.flaky] arrival = false``: tests new to the flake ledger
    arrive without a base, and ``pyramid merge`` (no ledger of its own) judges the partials'
    ``arrival`` rows, so whether anything arrived is known only from the run's records."""
    table = setup.raw.get("flaky")
    return not (isinstance(table, dict) and table.get("arrival") is False)


def _evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    from pytest_pyramid.gates.arrival import arrival_gate
    from pytest_pyramid.run.arrival import ArrivalSettings, arrival_status

    arrival = ArrivalSettings.from_table(ctx.setup.raw.get("flaky"))
    base, why_not = arrival_status(ctx.setup.settings, ctx.setup.risk_base,
                                   ctx.setup.changes, ctx.setup.environ)
    tests = ctx.run.every_item()
    if base is None and not any(test.arrival is not None for test in tests):
        table = ctx.setup.raw.get("flaky")
        asked = isinstance(table, dict) and table.get("arrival") is True
        if not asked and _no_base(ctx.setup):
            return []  # nothing could arrive and nothing was asked: not listed, as before
    return [arrival_gate(tests, base=base, why_not=why_not, bound=arrival.bound,
                         level=config.level, on_missing=config.on_missing)]


def _no_base(setup: Setup) -> bool:
    """Whether the run names no base at all (a named base git cannot use is stated)."""
    from pytest_pyramid.run.changes import resolve_base

    return resolve_base(setup.raw, setup.risk_base, "arrival", setup.environ) is None


SPEC = GateSpec(id="tests.flaky_on_arrival", level="block", on_missing="warn",
                evaluate=_evaluate, active=_active, order=32)
