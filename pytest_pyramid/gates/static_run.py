"""Running a static gate: the steps the static gate specs share (over ``gates/static.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.gates.spec import resolve
from pytest_pyramid.gates.static import (
    StaticInputs,
    cached_run,
    no_sources,
    not_run,
    static_inputs,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pytest_pyramid.gates.spec import Context, GateConfig
    from pytest_pyramid.results import GateResult


def inputs_for(ctx: Context) -> StaticInputs:
    """The static inputs of this run, shared by the static gates (computed on first use)."""
    found = ctx.shared.get("static")
    if isinstance(found, StaticInputs):
        return found
    setup = ctx.setup
    inputs = static_inputs(setup.static, setup.rootdir, setup.source_paths, ctx.run)
    ctx.shared["static"] = inputs
    return inputs


def idle(
    ctx: Context, gate_id: str, config: GateConfig, threshold: float | int | str
) -> list[GateResult] | None:
    """What a static gate reports when the static gates do not run in this session (None:
    they run). The one place that decides it, for every static gate."""
    if ctx.setup.static.enabled is False:
        return []
    inputs = inputs_for(ctx)
    if not inputs.requested:
        return [not_run(gate_id, config.level, threshold, inputs.why)]
    return None


def unless_idle(gate_id: str, ref: str) -> Callable[[GateConfig, Context], list[GateResult]]:
    """A static gate's ``evaluate`` that judges :func:`idle` before importing ``ref`` (its
    implementation, and the tools that imports): most runs do not run the static gates."""

    def evaluate(config: GateConfig, ctx: Context) -> list[GateResult]:
        skipped = idle(ctx, gate_id, config, config.opt("threshold"))
        if skipped is not None:
            return skipped
        function: Callable[[GateConfig, Context], list[GateResult]] = resolve(ref)
        return function(config, ctx)

    return evaluate


def source_gate(
    ctx: Context,
    gate_id: str,
    config: GateConfig,
    threshold: float | int | str,
    *,
    tool_version: Callable[[], str | None],
    compute: Callable[[StaticInputs], tuple[GateResult, dict[str, object] | None]],
    extra_key: Mapping[str, object] | None = None,
) -> tuple[list[GateResult], dict[str, object] | None]:
    """The steps every source gate (complexity, duplication, security) shares."""
    skipped = idle(ctx, gate_id, config, threshold)
    if skipped is not None:
        return skipped, None
    inputs = inputs_for(ctx)
    if not inputs.files:
        return [no_sources(gate_id, config.level, config.on_missing, threshold,
                           ctx.setup.source_paths, inputs.missing)], None
    result, sarif = cached_run(
        gate_id, inputs, level=config.level, on_missing=config.on_missing,
        tool_version=tool_version(), options={**config.options, **(extra_key or {})},
        compute=lambda: compute(inputs),
    )
    return [result], sarif
