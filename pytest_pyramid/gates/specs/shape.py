"""``pyramid.shape``: the share of tests per tier against ``[tool.pyramid.shape]`` targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.spec import GateSpec

if TYPE_CHECKING:
    from pytest_pyramid.gates.shape import ShapeSpec
    from pytest_pyramid.gates.spec import Context, GateConfig, Setup
    from pytest_pyramid.results import GateResult


def _prepare(setup: Setup, config: GateConfig) -> ShapeSpec | None:
    table = setup.raw.get("shape")
    if table is None:
        return None
    from pytest_pyramid.gates.shape import parse_shape

    shape = parse_shape(table, setup.source, setup.tier_names)
    if shape is not None and config.explicit_level:
        if isinstance(table, Mapping) and "level" in table:
            raise ConfigError(
                'gates."pyramid.shape".level', config.level, setup.source,
                "the shape level is also set in [tool.pyramid.shape]; set it in one place",
            )
        shape = replace(shape, level=config.level)
    return shape


def _evaluate(shape: ShapeSpec, ctx: Context) -> list[GateResult]:
    if shape.level == "off":
        return []
    from pytest_pyramid.gates.shape import shape_gate

    return [shape_gate(shape, ctx.run.tiers)]


SPEC = GateSpec(id="pyramid.shape", level="warn", evaluate=_evaluate, prepare=_prepare,
                order=50)
