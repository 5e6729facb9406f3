"""Pyramid shape: each tier's share of the test suite against a target proportion.

Config::

    [tool.pyramid.shape]
    targets = { unit = 0.7, integration = 0.2, e2e = 0.1 }   # shares of all tests, sum <= 1
    tolerance = 0.1      # allowed absolute deviation of a share (0.1 = 10 percentage points)
    min_tests = 20       # below this many tests the shape is noise: not evaluated
    level = "warn"       # block | approve | warn | off (default warn; no table = no gate)

Shares are computed over the whole collection (every tier's collected tests, including those
``--tier`` deselected), never over what a run selected. Tiers without a target count in the
total but are not judged. When the run did not collect some tier's paths at all (``pytest
tests/unit``), the shape cannot be known and the gate is ``not_evaluated``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.wording import count as plural
from pytest_pyramid.results import (
    GateResult,
    Level,
    OnMissing,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pytest_pyramid.run.summary import TierStats

SHAPE_GATE = "pyramid.shape"
DEFAULT_TOLERANCE = 0.1
DEFAULT_MIN_TESTS = 20


@dataclass(frozen=True)
class ShapeSpec:
    targets: Mapping[str, float]
    tolerance: float = DEFAULT_TOLERANCE
    min_tests: int = DEFAULT_MIN_TESTS
    level: Level = "warn"
    on_missing: OnMissing = "fail"
    order: tuple[str, ...] = field(default=())


def parse_shape(
    table: Mapping[str, Any] | None, source: str, tier_names: Sequence[str]
) -> ShapeSpec | None:
    """``[tool.pyramid.shape]`` as the schema checked it; None when absent (the gate is off
    by default). Targets must name tiers and add up to at most 1."""
    if table is None:
        return None
    targets: dict[str, float] = {}
    for tier, share in table["targets"].items():
        if tier not in tier_names:
            raise ConfigError(
                f"shape.targets.{tier}", share, source,
                "unknown tier; tiers: " + ", ".join(tier_names),
            )
        targets[str(tier)] = float(share)
    if math.fsum(targets.values()) > 1 + 1e-9:
        raise ConfigError(
            "shape.targets", dict(table["targets"]), source, "shares add up to more than 1"
        )
    return ShapeSpec(
        targets=targets,
        tolerance=float(table.get("tolerance", DEFAULT_TOLERANCE)),
        min_tests=int(table.get("min_tests", DEFAULT_MIN_TESTS)),
        level=table.get("level", "warn"),
        on_missing=table.get("on_missing", "fail"),
        order=tuple(tier_names),
    )


def tier_total(stats: TierStats) -> int:
    """Tests the project has in a tier, whatever ``--tier`` selected.

    The core counts ``collected`` before ``--tier`` deselection (its ``deselected`` is the part
    of ``collected`` that ``--tier`` left out), so ``collected`` alone is the tier's size.
    """
    return stats.collected


def shape_gate(spec: ShapeSpec, tiers: Mapping[str, TierStats]) -> GateResult:
    target_text = ", ".join(f"{t} {v:.0%}" for t, v in spec.targets.items())
    threshold = f"{target_text} (±{spec.tolerance:.0%})"
    missing_paths = sorted(n for n, s in tiers.items() if s.paths_not_collected > 0)
    if missing_paths:
        return _not_evaluated(
            spec, threshold,
            "the run did not collect every tier, so the suite's shape is unknown: "
            + ", ".join(f"{n} ({tiers[n].paths_not_collected} path(s) not collected)"
                        for n in missing_paths),
        )
    counts = {name: tier_total(stats) for name, stats in tiers.items()}
    for name in spec.targets:
        counts.setdefault(name, 0)
    total = sum(counts.values())
    if total < spec.min_tests:
        return _not_evaluated(
            spec, threshold,
            f"only {total} test(s) collected; the shape is judged from {spec.min_tests} on "
            "(shape.min_tests)",
        )
    rows: dict[str, dict[str, object]] = {}
    off: list[str] = []
    worst = 0.0
    ordered = [n for n in spec.order if n in counts] + sorted(set(counts) - set(spec.order))
    for name in ordered:
        share = counts[name] / total
        row: dict[str, object] = {"tests": counts[name], "share": round(share, 4)}
        target = spec.targets.get(name)
        if target is not None:
            deviation = share - target
            row["target"] = target
            row["deviation"] = round(deviation, 4)
            worst = max(worst, abs(deviation))
            # A small epsilon keeps 0.1 - 0.2 rounding noise from failing an exact-limit share.
            if abs(deviation) > spec.tolerance + 1e-9:
                off.append(f"{name} {share:.0%} (target {target:.0%})")
        rows[name] = row
    shares = ", ".join(f"{n} {counts[n] / total:.0%}" for n in ordered)
    if off:
        message = f"shape off target by more than {spec.tolerance:.0%}: " + "; ".join(off)
    else:
        message = f"shape within {spec.tolerance:.0%} of target"
    message += f" ({plural(total, 'test')}: {shares})"
    return GateResult(
        id=SHAPE_GATE,
        level=spec.level,
        status="fail" if off else "pass",
        actual=round(worst, 4),
        threshold=threshold,
        message=message,
        on_missing=spec.on_missing,
        details={"tiers": rows, "total": total, "tolerance": spec.tolerance},
    )


def _not_evaluated(spec: ShapeSpec, threshold: str, why: str) -> GateResult:
    return GateResult(
        id=SHAPE_GATE,
        level=spec.level,
        status="not_evaluated",
        actual=None,
        threshold=threshold,
        message=why,
        on_missing=spec.on_missing,
    )
