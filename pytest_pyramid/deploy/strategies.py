"""Weight plans: which share of traffic the new version gets at each stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class Stage:
    number: int
    total: int
    weight: int

    @property
    def label(self) -> str:
        return f"step {self.number}/{self.total}"


def plan(strategy: str, steps: Sequence[int]) -> tuple[Stage, ...]:
    """The stages in order. Canary uses the explicit list as given (it never overshoots:
    no stage exceeds the next listed weight); blue-green switches everything at once."""
    weights: list[int] = [100] if strategy == "blue-green" else list(steps)
    return tuple(Stage(i + 1, len(weights), w) for i, w in enumerate(weights))


#: judge = "nonparametric" (deploy/comparison.py): the largest canary weight the baseline can
#: match; above it the two cannot get equal weights
EQUAL_MAX = 50


def compared_phase(weight: int, mode: str) -> bool:
    """A phase the comparison runs at (given a baseline): a step of at most 50%."""
    return mode == "step" and 0 < weight <= EQUAL_MAX


def planned_looks(strategy: str, steps: Sequence[int], measurements: int) -> int:
    """The looks a rollout that passes takes at the least: each compared step of the plan
    (``compared_phase``, the rule deploy/comparison.py compares a rollout's steps by) advances
    after ``measurements`` successful looks. ``judge_looks`` must cover them, or the
    comparison runs out of alpha before the last compared step and every look after is
    inconclusive: a plan that can never pass (deploy/config.py)."""
    return measurements * sum(compared_phase(stage.weight, "step")
                              for stage in plan(strategy, steps))


def split(stable: str | None, canary: str | None, canary_weight: int) -> dict[str, int]:
    """Upstream weights for a canary share; a server at 0% is left out (nginx rejects weight=0)."""
    if not 0 <= canary_weight <= 100:
        raise ValueError(f"canary weight {canary_weight} is not a percentage")
    weights: dict[str, int] = {}
    if stable is not None and canary_weight < 100:
        weights[stable] = 100 - canary_weight if canary is not None else 100
    if canary is not None and canary_weight > 0:
        weights[canary] = canary_weight if stable is not None else 100
    if not weights:
        raise ValueError("no server would receive traffic")
    return weights


def describe(weights: dict[str, int]) -> str:
    return ", ".join(f"{addr}={weight}%" for addr, weight in weights.items())
