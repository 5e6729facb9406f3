"""The release-readiness verdict: decision rule, JSON form, atomic write, load + validate."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pytest_pyramid.errors import VerdictError
from pytest_pyramid.gates.base import GateResult, effect_of

SCHEMA_VERSION = 1
Decision = Literal["ready", "needs_approval", "blocked", "incomplete"]
DECISIONS: tuple[Decision, ...] = ("ready", "needs_approval", "blocked", "incomplete")


def decide(
    *,
    failed_tests: int,
    gates: Iterable[GateResult],
    incomplete: Sequence[str],
    interrupted: bool = False,
) -> tuple[Decision, list[str]]:
    """Return the decision and the reasons for it, most serious first.

    ``incomplete`` lists why the run cannot vouch for a release (tiers not run, a
    filtered run, a crashed worker). An interrupted run is incomplete whatever else
    happened; otherwise known failures block before missing data is mentioned.
    """
    blocking: list[str] = []
    approval: list[str] = []
    if failed_tests:
        blocking.append(f"{failed_tests} test(s) failed")
    for gate in gates:
        effect = effect_of(gate)
        text = f"gate {gate.id}: {gate.message}" if gate.message else f"gate {gate.id}"
        if gate.status == "not_evaluated":
            text += " (not evaluated)"
        if effect == "block":
            blocking.append(text)
        elif effect == "approve":
            approval.append(text)
    reasons = [*blocking, *incomplete, *approval] if not interrupted else [
        *incomplete, *blocking, *approval
    ]
    if interrupted:
        return "incomplete", reasons
    if blocking:
        return "blocked", reasons
    if incomplete:
        return "incomplete", reasons
    if approval:
        return "needs_approval", reasons
    return "ready", ["every required tier ran and every gate passed"]


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_created_at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    text = resources.files("pytest_pyramid").joinpath("verdict.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(verdict: object) -> list[str]:
    """Every schema violation of ``verdict``, as ``path: message`` lines (empty when valid)."""
    import jsonschema  # lazily: only the controller and the CLI validate

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(verdict), key=lambda e: list(e.absolute_path))
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in errors
    ]


def validate_verdict(verdict: object, *, source: str = "verdict") -> dict[str, Any]:
    problems = schema_errors(verdict)
    if problems:
        listed = "; ".join(problems[:5])
        raise VerdictError(f"{source}: does not match the verdict schema: {listed}")
    assert isinstance(verdict, dict)
    return verdict


def load_verdict(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a verdict file; every failure is a VerdictError naming the file."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise VerdictError(f"{path}: cannot read the verdict: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VerdictError(f"{path}: not valid JSON: {exc}") from exc
    return validate_verdict(data, source=str(path))


def write_json_atomic(path: Path, data: Mapping[str, object]) -> None:
    """Write JSON so readers see the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
