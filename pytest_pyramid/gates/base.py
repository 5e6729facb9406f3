"""The one shape every gate result has, and how a result affects the decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from pytest_pyramid.errors import ConfigError

Level = Literal["block", "approve", "warn", "off"]
Status = Literal["pass", "fail", "not_evaluated"]
OnMissing = Literal["fail", "approve", "warn", "skip"]
Effect = Literal["block", "approve", "warn", "none"]

LEVELS: tuple[Level, ...] = get_args(Level)
ON_MISSING: tuple[OnMissing, ...] = get_args(OnMissing)

Number = float | int


def parse_level(value: object, key: str, source: str) -> Level:
    """A gate level from configuration; anything else is a ConfigError naming the key."""
    for level in LEVELS:
        if value == level:
            return level
    raise ConfigError(key, value, source, f"must be one of {', '.join(LEVELS)}")


def parse_on_missing(value: object, key: str, source: str) -> OnMissing:
    """A missing-data policy from configuration; anything else is a ConfigError."""
    for policy in ON_MISSING:
        if value == policy:
            return policy
    raise ConfigError(key, value, source, f"must be one of {', '.join(ON_MISSING)}")


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


def effect_of(gate: GateResult) -> Effect:
    """What a gate result does to the release decision."""
    if gate.level == "off" or gate.status == "pass":
        return "none"
    if gate.status == "fail":
        return gate.level
    policy = gate.on_missing
    if policy == "skip":
        return "none"
    if policy == "fail":
        return gate.level
    if policy == "approve" and gate.level == "warn":
        return "warn"
    return policy
