"""Validators and sample data shared by the report tests (the real schemas, vendored)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pathlib import Path

    import xmlschema

    from pytest_pyramid.verdict.records import ResultRecord


def ctrf_errors(document: object) -> list[str]:
    """Every CTRF schema violation, formats (uuid, date-time) checked too."""
    import jsonschema

    schema = json.loads(
        resources.files("pytest_pyramid.verdict").joinpath("ctrf.schema.json").read_text("utf-8")
    )
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@lru_cache(maxsize=1)
def junit_schema() -> xmlschema.XMLSchema:
    import xmlschema

    path = resources.files("pytest_pyramid.verdict").joinpath("junit-10.xsd")
    return xmlschema.XMLSchema(str(path))


def junit_errors(path: Path | str) -> list[str]:
    return [str(error.reason) for error in junit_schema().iter_errors(str(path))]


def record(
    nodeid: str, tier: str = "unit", outcome: str = "passed", **extra: Any
) -> ResultRecord:
    entry: dict[str, Any] = {
        "nodeid": nodeid,
        "tier": tier,
        "outcome": outcome,
        "setup_s": 0.001,
        "call_s": 0.01,
        "teardown_s": 0.0005,
    }
    entry.update(extra)
    return cast("ResultRecord", entry)
