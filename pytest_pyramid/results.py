"""The one shape every gate result has, and how a result affects the decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

Level = Literal["block", "approve", "warn", "off"]
Status = Literal["pass", "fail", "not_evaluated"]
OnMissing = Literal["fail", "approve", "warn", "skip"]
Effect = Literal["block", "approve", "warn", "none"]

LEVELS: tuple[Level, ...] = get_args(Level)
ON_MISSING: tuple[OnMissing, ...] = get_args(OnMissing)

Number = float | int


@dataclass(frozen=True)
class GateResult:
    """One gate's judgement.

    ``on_missing`` only matters when ``status`` is ``not_evaluated``: it says whether the
    missing evidence counts as a failure at this gate's level (``fail``), asks a human
    (``approve``), only reports (``warn``) or is ignored (``skip``).
    """

    id: str
    level: Level
    status: Status
    actual: Number | str | None = None
    threshold: Number | str | None = None
    message: str = ""
    on_missing: OnMissing = "fail"
    details: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id,
            "level": self.level,
            "status": self.status,
            "actual": self.actual,
            "threshold": self.threshold,
            "message": self.message,
        }
        if self.status == "not_evaluated":
            data["on_missing"] = self.on_missing
        if self.details:
            data["details"] = self.details
        return data


def effect(level: str, status: str, on_missing: str = "fail") -> Effect:
    """What a gate with this level, status and missing-data policy does to the decision.

    Works on plain strings so a verdict read back from its file is judged by the same rule;
    an unknown level or status (a hand-edited file) blocks rather than passes.
    """
    if level == "off" or status == "pass":
        return "none"
    if status == "fail":
        return level if level in ("block", "approve", "warn") else "block"  # type: ignore[return-value]
    if status != "not_evaluated":
        return "block"
    if on_missing == "skip":
        return "none"
    if on_missing == "fail":
        return level if level in ("block", "approve", "warn") else "block"  # type: ignore[return-value]
    if on_missing == "approve" and level == "warn":
        return "warn"
    return on_missing if on_missing in ("approve", "warn") else "block"  # type: ignore[return-value]


def effect_of(gate: GateResult) -> Effect:
    """What a gate result does to the release decision."""
    return effect(gate.level, gate.status, gate.on_missing)
