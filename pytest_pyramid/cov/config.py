"""The coverage part of ``[tool.pyramid]``: thresholds per tier, total, changed lines.

Pure parsing: no pytest, no coverage import. Every bad value raises
:class:`~pytest_pyramid.errors.ConfigError` naming the key, the value and the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.base import LEVELS, Level

#: Keys accepted in ``[tool.pyramid.coverage]``; anything else is a typo worth an error.
COVERAGE_KEYS = frozenset(
    {
        "total",
        "changed_lines",
        "base",
        "min_changed_lines",
        "level",
        "total_level",
        "changed_lines_level",
        "max_uncovered_files",
    }
)
DEFAULT_LEVEL: Level = "block"
DEFAULT_MIN_CHANGED_LINES = 0
DEFAULT_MAX_UNCOVERED_FILES = 20


@dataclass(frozen=True)
class TierCoverage:
    """The coverage threshold of one tier (``[tool.pyramid.tiers.<name>] coverage``)."""

    tier: str
    threshold: float
    level: Level


@dataclass(frozen=True)
class CoverageSettings:
    """Everything the coverage gates need from the configuration."""

    source: str
    tiers: tuple[TierCoverage, ...] = ()
    total: float | None = None
    total_level: Level = DEFAULT_LEVEL
    changed_lines: float | None = None
    changed_lines_level: Level = DEFAULT_LEVEL
    base: str | None = None
    base_from: str = ""
    min_changed_lines: int = DEFAULT_MIN_CHANGED_LINES
    max_uncovered_files: int = DEFAULT_MAX_UNCOVERED_FILES
    #: Packages or directories whose files count; empty means "what coverage measured".
    coverage_source: tuple[str, ...] = ()
    #: Which key ``coverage_source`` came from (``coverage_source``, ``source`` or ``""``).
    coverage_source_from: str = ""
    tier_order: tuple[str, ...] = field(default=())

    @property
    def has_thresholds(self) -> bool:
        return bool(self.tiers) or self.total is not None or self.changed_lines is not None

    def tier_threshold(self, tier: str) -> TierCoverage | None:
        for spec in self.tiers:
            if spec.tier == tier:
                return spec
        return None


def _percent(key: str, value: object, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(key, value, source, "must be a number between 0 and 100")
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise ConfigError(key, value, source, "must be a number between 0 and 100")
    return number


def _level(key: str, value: object, source: str) -> Level:
    if value not in LEVELS:
        raise ConfigError(key, value, source, f"must be one of {', '.join(LEVELS)}")
    return value  # type: ignore[return-value]  # narrowed by the membership test


def _table(key: str, value: object, source: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, source, "must be a table")
    return value


def _string_list(key: str, value: object, source: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ConfigError(key, value, source, "must be a list of package names or directories")
    items: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(key, value, source, "every entry must be a non-empty string")
        items.append(item.strip())
    if not items:
        raise ConfigError(key, value, source, "must not be empty (leave the key out instead)")
    return tuple(items)


def parse_coverage_settings(
    raw: Mapping[str, Any],
    source: str,
    tier_names: Sequence[str],
    *,
    source_paths: Sequence[str] = (),
    cli_base: str | None = None,
) -> CoverageSettings:
    """Read the coverage keys of a ``[tool.pyramid]`` table.

    ``tier_names`` are the configured tiers in pyramid order; a ``coverage`` key in a tier
    table the core does not know is left to the core's own validation. ``cli_base``
    (``--pyramid-diff-base``) wins over ``[tool.pyramid.coverage] base``. ``source_paths``
    is the core's parsed top-level ``source``, the fallback of ``coverage_source``.
    """
    table = _table("coverage", raw.get("coverage", {}), source)
    unknown = sorted(set(table) - COVERAGE_KEYS)
    if unknown:
        key = f"coverage.{unknown[0]}"
        raise ConfigError(
            key, table[unknown[0]], source, f"unknown key; known: {', '.join(sorted(COVERAGE_KEYS))}"
        )

    default_level = DEFAULT_LEVEL
    if "level" in table:
        default_level = _level("coverage.level", table["level"], source)

    total = None
    if "total" in table:
        total = _percent("coverage.total", table["total"], source)
    total_level = default_level
    if "total_level" in table:
        total_level = _level("coverage.total_level", table["total_level"], source)

    changed = None
    if "changed_lines" in table:
        changed = _percent("coverage.changed_lines", table["changed_lines"], source)
    changed_level = default_level
    if "changed_lines_level" in table:
        changed_level = _level("coverage.changed_lines_level", table["changed_lines_level"], source)

    base: str | None = None
    base_from = ""
    if "base" in table:
        value = table["base"]
        if not isinstance(value, str) or not value.strip() or value.strip().startswith("-"):
            raise ConfigError("coverage.base", value, source, "must be a git revision, e.g. 'origin/main'")
        base, base_from = value.strip(), "[tool.pyramid.coverage] base"
    if cli_base is not None:
        if not cli_base.strip() or cli_base.strip().startswith("-"):
            raise ConfigError(
                "--pyramid-diff-base", cli_base, "command line", "must be a git revision, e.g. 'origin/main'"
            )
        base, base_from = cli_base.strip(), "--pyramid-diff-base"

    min_changed = DEFAULT_MIN_CHANGED_LINES
    if "min_changed_lines" in table:
        value = table["min_changed_lines"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError("coverage.min_changed_lines", value, source, "must be an integer >= 0")
        min_changed = value

    max_files = DEFAULT_MAX_UNCOVERED_FILES
    if "max_uncovered_files" in table:
        value = table["max_uncovered_files"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError("coverage.max_uncovered_files", value, source, "must be an integer >= 1")
        max_files = value

    cov_source: tuple[str, ...] = ()
    cov_source_from = ""
    if "coverage_source" in raw:
        cov_source = _string_list("coverage_source", raw["coverage_source"], source)
        cov_source_from = "coverage_source"
    elif source_paths:
        cov_source = tuple(source_paths)
        cov_source_from = "source"

    tiers_table = _table("tiers", raw.get("tiers", {}), source)
    tier_specs: list[TierCoverage] = []
    for name in tier_names:
        tier_raw = tiers_table.get(name)
        if tier_raw is None:
            continue
        tier_table = _table(f"tiers.{name}", tier_raw, source)
        level = default_level
        if "coverage_level" in tier_table:
            level = _level(f"tiers.{name}.coverage_level", tier_table["coverage_level"], source)
        if "coverage" in tier_table:
            threshold = _percent(f"tiers.{name}.coverage", tier_table["coverage"], source)
            tier_specs.append(TierCoverage(tier=name, threshold=threshold, level=level))
        elif "coverage_level" in tier_table:
            raise ConfigError(
                f"tiers.{name}.coverage_level",
                tier_table["coverage_level"],
                source,
                "has no effect without tiers.{name}.coverage".replace("{name}", name),
            )

    return CoverageSettings(
        source=source,
        tiers=tuple(tier_specs),
        total=total,
        total_level=total_level,
        changed_lines=changed,
        changed_lines_level=changed_level,
        base=base,
        base_from=base_from,
        min_changed_lines=min_changed,
        max_uncovered_files=max_files,
        coverage_source=cov_source,
        coverage_source_from=cov_source_from,
        tier_order=tuple(tier_names),
    )
