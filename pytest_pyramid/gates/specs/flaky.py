"""``tests.flaky``: tests that failed and then passed on a rerun (pytest-rerunfailures)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import GateSpec, Option, whole

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.gates.spec import Context, GateConfig
    from pytest_pyramid.results import GateResult


def _evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
    from pytest_pyramid.gates.flaky import flaky_gate

    return [flaky_gate(ctx.run.outcomes, threshold=config.opt("threshold"), level=config.level,
                       quarantined=ctx.quarantined, on_missing=config.on_missing)]


def _sections(config: GateConfig, ctx: Context) -> Mapping[str, object]:
    from pytest_pyramid.gates.flaky import flaky_section

    flaky = flaky_section(ctx.run.outcomes, ctx.quarantined)
    return {"flaky": flaky} if flaky else {}


SPEC = GateSpec(
    id="tests.flaky",
    level="warn",
    evaluate=_evaluate,
    sections=_sections,
    options={"threshold": Option(0, whole(0))},
    order=30,
)
