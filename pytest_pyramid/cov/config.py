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
from pytest_pyramid.results import Level, parse_level

#: Keys accepted in ``[tool.pyramid.coverage]``; anything else is a typo worth an error.
COVERAGE_KEYS = frozenset(
    {
        "total",
        "changed_lines",
        "base",
        "min_changed_lines",
        "level",
        "levels",
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
    return parse_level(value, key, source)


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


def _revision(key: str, value: object, source: str) -> str:
    # A leading "-" would be read by git as an option.
    if not isinstance(value, str) or not value.strip() or value.strip().startswith("-"):
        raise ConfigError(key, value, source, "must be a git revision, e.g. 'origin/main'")
    return value.strip()


def _count(key: str, value: object, source: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(key, value, source, f"must be an integer >= {minimum}")
    return value


def parse_coverage_settings(
    raw: Mapping[str, Any],
    source: str,
    tier_names: Sequence[str],
    *,
    source_paths: Sequence[str] = (),
    cli_base: str | None = None,
) -> CoverageSettings:
    """Read the coverage keys of a ``[tool.pyramid]`` table.

    ``tier_names`` are the configured tiers in pyramid order. ``cli_base``
    (``--pyramid-diff-base``) wins over ``[tool.pyramid.coverage] base``. ``source_paths``
    is the core's parsed top-level ``source``, the fallback of ``coverage_source``.
    """
    table = _table("coverage", raw.get("coverage", {}), source)
    unknown = sorted(set(table) - COVERAGE_KEYS)
    if unknown:
        raise ConfigError(
            f"coverage.{unknown[0]}",
            table[unknown[0]],
            source,
            f"unknown key; known: {', '.join(sorted(COVERAGE_KEYS))}",
        )

    default_level = DEFAULT_LEVEL
    if "level" in table:
        default_level = _level("coverage.level", table["level"], source)
    gate_names = ("total", "changed_lines", *tier_names)
    levels: dict[str, Level] = {}
    for name, value in _table("coverage.levels", table.get("levels", {}), source).items():
        if name not in gate_names:
            raise ConfigError(
                f"coverage.levels.{name}",
                value,
                source,
                f"not a coverage gate; expected one of {', '.join(gate_names)}",
            )
        levels[name] = _level(f"coverage.levels.{name}", value, source)

    total = None
    if "total" in table:
        total = _percent("coverage.total", table["total"], source)
    changed = None
    if "changed_lines" in table:
        changed = _percent("coverage.changed_lines", table["changed_lines"], source)

    base: str | None = None
    base_from = ""
    if "base" in table:
        base = _revision("coverage.base", table["base"], source)
        base_from = "[tool.pyramid.coverage] base"
    if cli_base is not None:
        base = _revision("--pyramid-diff-base", cli_base, "command line")
        base_from = "--pyramid-diff-base"

    min_changed = DEFAULT_MIN_CHANGED_LINES
    if "min_changed_lines" in table:
        min_changed = _count("coverage.min_changed_lines", table["min_changed_lines"], source, 0)
    max_files = DEFAULT_MAX_UNCOVERED_FILES
    if "max_uncovered_files" in table:
        max_files = _count("coverage.max_uncovered_files", table["max_uncovered_files"], source, 1)

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
        if "coverage" in tier_table:
            threshold = _percent(f"tiers.{name}.coverage", tier_table["coverage"], source)
            tier_specs.append(
                TierCoverage(tier=name, threshold=threshold, level=levels.get(name, default_level))
            )

    return CoverageSettings(
        source=source,
        tiers=tuple(tier_specs),
        total=total,
        total_level=levels.get("total", default_level),
        changed_lines=changed,
        changed_lines_level=levels.get("changed_lines", default_level),
        base=base,
        base_from=base_from,
        min_changed_lines=min_changed,
        max_uncovered_files=max_files,
        coverage_source=cov_source,
        coverage_source_from=cov_source_from,
        tier_order=tuple(tier_names),
    )
