"""``tests.quarantine``: no entry of ``[[tool.pyramid.quarantine]]`` has expired."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.spec import Context, GateConfig, Setup
    from pytest_pyramid.results import GateResult


def _prepare(setup: Setup, config: GateConfig) -> GateConfig:
    _ = setup.quarantine  # parsed now: a bad entry stops the run at start-up
    return config


def _evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    entries = ctx.setup.quarantine
    if not entries:
        return []
    from pytest_pyramid.gates.flaky import quarantine_gate

    return [quarantine_gate(entries, ctx.setup.today, level=config.level)]


SPEC = GateSpec(id="tests.quarantine", level="block", evaluate=_evaluate, prepare=_prepare,
                order=40)
