"""The coverage part of ``[tool.pyramid]``: thresholds per tier, total, changed lines.

Pure parsing: no pytest, no coverage import. The schema (``config_schema``) has checked the
structure; what is left here is what it cannot know (a ``levels`` key must name a tier).
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.results import record
from pytest_pyramid.run.changes import resolve_base

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pytest_pyramid.results import Level

DEFAULT_LEVEL: Level = "block"
DEFAULT_MIN_CHANGED_LINES = 0
DEFAULT_MAX_UNCOVERED_FILES = 20


@record(frozen=True)
class TierCoverage:
    """The coverage threshold of one tier (``[tool.pyramid.tiers.<name>] coverage``)."""

    tier: str
    threshold: float
    level: Level


@record(frozen=True)
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
    #: ``[tool.pyramid] allow_options`` as written (honoured only when the file is tracked):
    #: a variable the coverage configuration names may be listed there
    allow_options: tuple[str, ...] = ()

    @property
    def has_thresholds(self) -> bool:
        return bool(self.tiers) or self.total is not None or self.changed_lines is not None

    def tier_threshold(self, tier: str) -> TierCoverage | None:
        for spec in self.tiers:
            if spec.tier == tier:
                return spec
        return None


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def parse_coverage_settings(
    raw: Mapping[str, Any],
    source: str,
    tier_names: Sequence[str],
    *,
    source_paths: Sequence[str] = (),
    cli_base: str | None = None,
) -> CoverageSettings:
    """Read the coverage keys of a ``[tool.pyramid]`` table the schema has checked.

    ``tier_names`` are the configured tiers in pyramid order. ``cli_base``
    (``--pyramid-diff-base``) wins over ``[tool.pyramid.coverage] base``. ``source_paths``
    is the core's parsed top-level ``source``, the fallback of ``coverage_source``.
    """
    table: Mapping[str, Any] = raw.get("coverage", {})
    default_level: Level = table.get("level", DEFAULT_LEVEL)
    gate_names = ("total", "changed_lines", *tier_names)
    levels: dict[str, Level] = {}
    for name, value in table.get("levels", {}).items():
        if name not in gate_names:
            raise ConfigError(
                f"coverage.levels.{name}",
                value,
                source,
                f"not a coverage gate; expected one of {', '.join(gate_names)}",
            )
        levels[name] = value

    total = _float(table.get("total"))
    changed = _float(table.get("changed_lines"))
    found = resolve_base(raw, cli_base, "coverage")
    base, base_from = found if found is not None else (None, "")

    cov_source: tuple[str, ...] = ()
    cov_source_from = ""
    if "coverage_source" in raw:
        cov_source = tuple(item.strip() for item in raw["coverage_source"])
        cov_source_from = "coverage_source"
    elif source_paths:
        cov_source = tuple(source_paths)
        cov_source_from = "source"

    tiers_table: Mapping[str, Mapping[str, Any]] = raw.get("tiers", {})
    tier_specs = [
        TierCoverage(tier=name, threshold=float(tier_table["coverage"]),
                     level=levels.get(name, default_level))
        for name in tier_names
        if "coverage" in (tier_table := tiers_table.get(name, {}))
    ]

    return CoverageSettings(
        source=source,
        tiers=tuple(tier_specs),
        total=total,
        total_level=levels.get("total", default_level),
        changed_lines=changed,
        changed_lines_level=levels.get("changed_lines", default_level),
        base=base,
        base_from=base_from,
        min_changed_lines=int(table.get("min_changed_lines", DEFAULT_MIN_CHANGED_LINES)),
        max_uncovered_files=int(table.get("max_uncovered_files", DEFAULT_MAX_UNCOVERED_FILES)),
        coverage_source=cov_source,
        coverage_source_from=cov_source_from,
        tier_order=tuple(tier_names),
        allow_options=tuple(str(option) for option in raw.get("allow_options", ())),
    )
