from __future__ import annotations

from typing import Any

import pytest

from pytest_pyramid.config_schema import check_table
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.cov.config import CoverageSettings, TierCoverage, parse_coverage_settings

TIERS = ("unit", "integration", "contract", "e2e", "performance", "security")
SOURCE = "/repo/pyproject.toml"


def parse(raw: dict[str, Any], **kwargs: Any) -> CoverageSettings:
    """The schema checks the structure (as the plugin does first), the parser the rest."""
    check_table(raw, SOURCE)
    return parse_coverage_settings(raw, SOURCE, TIERS, **kwargs)


def test_defaults_without_any_coverage_key() -> None:
    settings = parse({})
    assert not settings.has_thresholds
    assert settings.total is None
    assert settings.changed_lines is None
    assert settings.base is None
    assert settings.min_changed_lines == 0
    assert settings.coverage_source == ()
    assert settings.tier_order == TIERS


def test_full_table() -> None:
    settings = parse(
        {
            "coverage_source": ["mypkg", "src/other"],
            "tiers": {"unit": {"coverage": 95}, "integration": {"coverage": 80.5, "paths": ["x"]}},
            "coverage": {
                "total": 90,
                "changed_lines": 80,
                "base": "origin/main",
                "min_changed_lines": 20,
                "level": "approve",
                "levels": {"unit": "warn", "changed_lines": "block"},
                "max_uncovered_files": 5,
            },
        }
    )
    assert settings.tiers == (
        TierCoverage("unit", 95.0, "warn"),
        TierCoverage("integration", 80.5, "approve"),
    )
    assert settings.total == 90.0
    assert settings.total_level == "approve"
    assert settings.changed_lines == 80.0
    assert settings.changed_lines_level == "block"
    assert settings.base == "origin/main"
    assert settings.base_from == "[tool.pyramid.coverage] base"
    assert settings.min_changed_lines == 20
    assert settings.max_uncovered_files == 5
    assert settings.coverage_source == ("mypkg", "src/other")
    assert settings.coverage_source_from == "coverage_source"
    assert settings.has_thresholds
    assert settings.tier_threshold("unit") == TierCoverage("unit", 95.0, "warn")
    assert settings.tier_threshold("e2e") is None


def test_command_line_base_wins_over_config() -> None:
    settings = parse({"coverage": {"base": "origin/main"}}, cli_base="v1.2")
    assert settings.base == "v1.2"
    assert settings.base_from == "--pyramid-diff-base"


@pytest.mark.parametrize(
    ("raw", "source_paths", "expected", "origin"),
    [
        ({}, ("pkg",), ("pkg",), "source"),
        ({"coverage_source": ["a"]}, ("pkg",), ("a",), "coverage_source"),
        ({}, (), (), ""),
    ],
)
def test_coverage_source_falls_back_to_top_level_source(
    raw: dict[str, Any], source_paths: tuple[str, ...], expected: tuple[str, ...], origin: str
) -> None:
    settings = parse(raw, source_paths=source_paths)
    assert settings.coverage_source == expected
    assert settings.coverage_source_from == origin


@pytest.mark.parametrize(
    ("raw", "key", "why"),
    [
        ({"coverage": {"total": 101}}, "coverage.total", "between 0 and 100"),
        ({"coverage": {"total": -1}}, "coverage.total", "between 0 and 100"),
        ({"coverage": {"total": "90"}}, "coverage.total", "between 0 and 100"),
        ({"coverage": {"total": True}}, "coverage.total", "between 0 and 100"),
        ({"coverage": {"total": float("nan")}}, "coverage.total", "must be a finite number"),
        ({"coverage": {"changed_lines": 200}}, "coverage.changed_lines", "between 0 and 100"),
        ({"tiers": {"unit": {"coverage": "high"}}}, "tiers.unit.coverage", "between 0 and 100"),
        ({"coverage": {"level": "error"}}, "coverage.level", "block, approve, warn, off"),
        ({"coverage": {"levels": {"unit": "fatal"}}}, "coverage.levels.unit", "one of"),
        ({"coverage": {"levels": {"smoke": "warn"}}}, "coverage.levels.smoke", "not a coverage"),
        ({"coverage": {"levels": "warn"}}, "coverage.levels", "must be a table"),
        ({"coverage": {"base": ""}}, "coverage.base", "git revision"),
        ({"coverage": {"base": "--output=x"}}, "coverage.base", "git revision"),
        ({"coverage": {"base": 3}}, "coverage.base", "git revision"),
        ({"coverage": {"min_changed_lines": -1}}, "coverage.min_changed_lines",
         "whole number >= 0"),
        ({"coverage": {"min_changed_lines": 2.5}}, "coverage.min_changed_lines", ">= 0"),
        ({"coverage": {"max_uncovered_files": 0}}, "coverage.max_uncovered_files", ">= 1"),
        ({"coverage": {"totl": 90}}, "coverage.totl", "unknown key"),
        ({"coverage": 90}, "coverage", "must be a table"),
        ({"coverage_source": "mypkg"}, "coverage_source", "must be a non-empty list"),
        ({"coverage_source": []}, "coverage_source", "must not be empty"),
        ({"coverage_source": ["ok", ""]}, "coverage_source", "every entry must be a non-empty"),
        ({"tiers": {"unit": 95}}, "tiers.unit", "must be a table"),
    ],
)
def test_bad_values_name_key_value_and_file(raw: dict[str, Any], key: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(raw)
    assert info.value.key == key
    assert info.value.source == SOURCE
    assert why in info.value.why
    assert str(info.value).startswith(f"{SOURCE}: [tool.pyramid] {key} = ")


def test_bad_command_line_base_names_the_option() -> None:
    with pytest.raises(ConfigError) as info:
        parse({}, cli_base="-x")
    assert info.value.key == "--pyramid-diff-base"
    assert info.value.source == "command line"
