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
    tests = ctx.run.every_item()
    if not any(test.arrival is not None for test in tests) and _unasked(ctx.setup):
        return []  # nothing could arrive and nothing was asked (most runs): not listed
    from pytest_pyramid.gates.arrival import arrival_gate
    from pytest_pyramid.run.arrival import ArrivalSettings, arrival_status

    arrival = ArrivalSettings.from_table(ctx.setup.raw.get("flaky"))
    base, why_not = arrival_status(ctx.setup.settings, ctx.setup.risk_base,
                                   ctx.setup.changes, ctx.setup.environ)
    return [arrival_gate(tests, base=base, why_not=why_not, bound=arrival.bound,
                         level=config.level, on_missing=config.on_missing)]


def _unasked(setup: Setup) -> bool:
    """Neither ``arrival = true`` nor a base: a run without an arrival row has nothing to
    state (a named base git cannot use is stated, and so is an ``arrival = true``)."""
    from pytest_pyramid.run.changes import resolve_base

    table = setup.raw.get("flaky")
    if isinstance(table, dict) and table.get("arrival") is True:
        return False
    return resolve_base(setup.raw, setup.risk_base, "arrival", setup.environ) is None


SPEC = GateSpec(id="tests.flaky_on_arrival", level="block", on_missing="warn",
                evaluate=_evaluate, active=_active, order=32)
