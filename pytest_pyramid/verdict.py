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
from typing import TYPE_CHECKING, Any, Literal

from pytest_pyramid.errors import VerdictError
from pytest_pyramid.gates.base import GateResult, effect_of

if TYPE_CHECKING:
    from pytest_pyramid.config import TierSpec
    from pytest_pyramid.gitinfo import GitInfo
    from pytest_pyramid.summary import RunSummary

SCHEMA_VERSION = 1
Decision = Literal["ready", "needs_approval", "blocked", "incomplete"]
DECISIONS: tuple[Decision, ...] = ("ready", "needs_approval", "blocked", "incomplete")


def decide(
    *,
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
    warnings: list[str] = []
    for gate in gates:
        effect = effect_of(gate)
        text = f"gate {gate.id}: {gate.message}" if gate.message else f"gate {gate.id}"
        if gate.status == "not_evaluated":
            text += " (not evaluated)"
        if effect == "block":
            blocking.append(text)
        elif effect == "approve":
            approval.append(text)
        elif effect == "warn":
            warnings.append(f"warning: {text}")
    reasons = (
        [*blocking, *incomplete, *approval]
        if not interrupted
        else [*incomplete, *blocking, *approval]
    )
    if interrupted:
        return "incomplete", reasons
    if blocking:
        return "blocked", reasons
    if incomplete:
        return "incomplete", reasons
    if approval:
        return "needs_approval", [*reasons, *warnings]
    if warnings:
        return "ready", ["every required tier ran; no blocking or approval gate failed", *warnings]
    return "ready", ["every required tier ran and every gate passed"]


def approvals_needed(verdict: Mapping[str, Any]) -> tuple[int, list[str], str]:
    """How many approvals a ``needs_approval`` verdict asks for, from which roles, and a
    sentence saying so. Without a risk assessment: one approval, any role."""
    risk = verdict.get("risk") or {}
    required = int(risk.get("required_approvals", 1)) if risk else 1
    roles = [str(role) for role in risk.get("approver_roles", [])] if risk else []
    role_text = f" from {', '.join(roles)}" if roles else " (any role)"
    basis = (
        f"risk {risk.get('level')}, score {risk.get('score')}"
        if risk
        else "no risk assessment configured"
    )
    return required, roles, f"needs {required} approval(s){role_text} ({basis})"


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json_atomic(path: Path, data: Mapping[str, object]) -> None:
    """Write JSON so readers see the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a verdict is read by other users (CI, a deploy account)
        os.chmod(tmp_name, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def tier_status(selected: bool, collected: int, executed: int, failures: int, skipped: int) -> str:
    if failures:
        return "failed"
    if executed:
        return "passed"
    if selected and skipped:
        return "skipped"
    if collected or not selected:
        return "not_run"
    return "empty"


def build_verdict(
    *,
    run: RunSummary,
    tiers: Mapping[str, TierSpec],
    gates: Sequence[GateResult],
    decision: Decision,
    reasons: Sequence[str],
    git: GitInfo,
    tool_version: str,
    python_version: str,
    pytest_version: str,
    args: Sequence[str],
) -> dict[str, Any]:
    tier_entries: dict[str, Any] = {}
    for name, stats in run.tiers.items():
        spec = tiers.get(name)
        tier_entries[name] = {
            "selected": stats.selected,
            "status": tier_status(
                stats.selected,
                stats.collected,
                stats.executed,
                stats.failed + stats.errors,
                stats.skipped,
            ),
            "collected": stats.collected,
            "deselected": stats.deselected,
            "passed": stats.passed,
            "failed": stats.failed,
            "errors": stats.errors,
            "skipped": stats.skipped,
            "xfailed": stats.xfailed,
            "xpassed": stats.xpassed,
            "test_time_s": round(stats.test_time_s, 4),
            "wall_time_s": round(stats.wall_time_s, 4),
            "budget_s": spec.budget if spec else None,
            "test_timeout_s": spec.test_timeout if spec else None,
            "slowest": [
                {"nodeid": nodeid, "duration_s": round(duration, 4)}
                for nodeid, duration in stats.slowest
            ],
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "decision": decision,
        "reasons": list(reasons),
        "created_at": utc_now_iso(),
        "commit": git.commit,
        "commit_time": git.commit_time,
        "branch": git.branch,
        "dirty": git.dirty,
        "tool": {"name": "pytest-pyramid", "version": tool_version},
        "run": {
            "selected_tiers": list(run.selected_tiers),
            "workers": run.workers,
            "duration_s": round(run.duration_s, 3),
            "pytest_exit": run.exitstatus,
            "args": list(args),
            "filtered": list(run.filter_reasons),
            "python": python_version,
            "pytest": pytest_version,
        },
        "tiers": tier_entries,
        "gates": [gate.to_json() for gate in gates if gate.level != "off"],
    }


def merge_sections(verdict: dict[str, Any], sections: Mapping[str, Any]) -> None:
    """Merge a plugin's sections; ``tiers`` entries are merged per tier, the rest added."""
    for key, value in sections.items():
        if key == "tiers" and isinstance(value, Mapping):
            for tier, extra in value.items():
                verdict["tiers"].setdefault(tier, {}).update(extra)
        elif key in ("metrics", "artifacts") and isinstance(value, Mapping):
            verdict.setdefault(key, {}).update(value)
        else:
            verdict[key] = value
