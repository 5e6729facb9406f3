"""The verdict document: its typed shape, how a run becomes one, and strict loading.

The JSON Schema (``schema.json`` beside this module) is the contract for readers; the
TypedDicts below mirror it for the code that writes and reads verdicts.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pytest_pyramid.durations import utc_now
from pytest_pyramid.errors import VerdictError
from pytest_pyramid.results import TypedDict

if TYPE_CHECKING:
    import os

    from pytest_pyramid.config import TierSpec
    from pytest_pyramid.results import GateResult
    from pytest_pyramid.run.summary import Problem, RunSummary
    from pytest_pyramid.verdict.provenance import GitInfo

SCHEMA_VERSION = 2
Decision = Literal["ready", "needs_approval", "blocked", "incomplete"]
DECISIONS: tuple[Decision, ...] = ("ready", "needs_approval", "blocked", "incomplete")
#: JSON nesting a verdict never needs; deeper input is refused before it is parsed
MAX_DEPTH = 64
#: a verdict file larger than this is refused unread (a 50,000-test verdict is a few MB)
MAX_BYTES = 256 * 1024 * 1024
_MAX_INT = 2**63


class GateEntry(TypedDict, total=False):
    id: str
    level: str
    status: str
    actual: float | int | str | None
    threshold: float | int | str | None
    message: str
    on_missing: str
    details: dict[str, Any]


class SlowTest(TypedDict):
    nodeid: str
    duration_s: float


class TierEntry(TypedDict, total=False):
    selected: bool
    required: bool
    status: str
    collected: int
    deselected: int
    files_on_disk: int
    passed: int
    failed: int
    errors: int
    skipped: int
    skipped_modules: int
    xfailed: int
    xpassed: int
    never_ran: int
    test_time_s: float
    wall_time_s: float
    budget_s: float | None
    budget_basis: str
    test_timeout_s: float | None
    slowest: list[SlowTest]
    coverage: dict[str, Any] | None


class RunEntry(TypedDict, total=False):
    selected_tiers: list[str]
    workers: int
    duration_s: float
    pytest_exit: int
    interrupted: bool
    args: list[str]
    filtered: list[str]
    python: str
    pytest: str
    collected: int
    never_ran: int
    mode: str
    #: what reached the run and where from (run/invocation.py; absent in a merged verdict)
    invocation: dict[str, Any]
    #: the installed distributions the run imported (run/distributions.py: listed)
    distributions: list[dict[str, Any]]


class TreeEntry(TypedDict):
    digest: str | None
    head: str | None
    excluded: list[str]


class ConfigEntry(TypedDict):
    file: str
    digest: str


class ToolEntry(TypedDict):
    name: str
    version: str


class ResultsRef(TypedDict):
    """Where the per-test results of the run are (``verdict/results_file.py``)."""

    #: relative to the verdict's folder
    path: str
    #: sha256 of the file's bytes
    sha256: str
    #: how many test records it holds
    tests: int


class Verdict(TypedDict, total=False):
    schema_version: int
    decision: Decision
    reasons: list[str]
    created_at: str
    commit: str | None
    commit_time: str | None
    branch: str | None
    dirty: bool | None
    tree: TreeEntry
    #: the project's folder relative to the repository's top level ("." for the top; None
    #: outside git): a monorepo's projects share commits, a verdict speaks for one of them
    project: str | None
    config: ConfigEntry
    tool: ToolEntry
    run: RunEntry
    completeness: list[Problem]
    tiers: dict[str, TierEntry]
    gates: list[GateEntry]
    metrics: dict[str, Any]
    coverage: dict[str, Any]
    risk: dict[str, Any]
    flaky: list[Any]
    #: the flake ledger's standing (information: the decision never reads it)
    flaky_ledger: dict[str, Any]
    artifacts: dict[str, Any]
    results: ResultsRef
    #: the CI run the verdict belongs to (shared by its shards), else one id per run
    run_id: str
    #: the CI's sequence number of that run, when it has one (gaps show in the history)
    run_number: int | None


def utc_now_iso() -> str:
    return utc_now().replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_created_at(value: str) -> datetime:
    """A verdict timestamp; ValueError for anything that is not a real UTC date-time."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"created_at {value!r} has no time zone")
    return parsed


def config_digest(table: Mapping[str, Any]) -> str:
    """A stable digest of the ``[tool.pyramid]`` table the run was judged by."""
    text = json.dumps(table, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    text = resources.files("pytest_pyramid.verdict").joinpath("schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(verdict: object) -> list[str]:
    """Every schema violation of ``verdict``, as ``path: message`` lines (empty when valid)."""
    import jsonschema  # lazily: only the controller and the CLI validate

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(verdict), key=lambda e: [str(p) for p in e.absolute_path])
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {_short(error.message)}"
        for error in errors
    ]


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate_verdict(verdict: object, *, source: str = "verdict") -> Verdict:
    problems = schema_errors(verdict)
    if problems:
        listed = "; ".join(problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise VerdictError(f"{source}: does not match the verdict schema: {listed}{more}")
    assert isinstance(verdict, dict)
    return verdict  # type: ignore[return-value]


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON (strict JSON has no NaN or Infinity)")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Readers disagree on a repeated key (Python keeps the last, others the first): a file
    that says two things is refused rather than read one way."""
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _depth_exceeds(text: str, limit: int) -> bool:
    """Whether brackets nest deeper than ``limit`` (strings skipped), without parsing."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def parse_strict(raw: bytes, source: str) -> object:
    """Strict JSON from bytes: UTF-8, no NaN/Infinity, bounded depth and number size.

    Every failure is a :class:`VerdictError` naming ``source`` and the problem.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerdictError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise VerdictError(f"{source}: the file is empty")
    if _depth_exceeds(text, MAX_DEPTH):
        raise VerdictError(f"{source}: JSON nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise VerdictError(f"{source}: not valid JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:  # huge integers, NaN, absurd nesting
        raise VerdictError(f"{source}: not valid JSON: {_short(str(exc))}") from None
    check_values(data, source)
    return data


def check_values(value: object, source: str) -> None:
    """Values that parse but no verdict holds: lone surrogates (``"\\ud800"``) cannot be
    printed or re-encoded, and numbers beyond 64 bits overflow every float conversion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise VerdictError(
                    f"{source}: contains a string that is not valid Unicode (a lone surrogate)"
                ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise VerdictError(f"{source}: contains a number that is not finite")
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > _MAX_INT:
            raise VerdictError(f"{source}: contains an integer too large for a verdict")


def load_verdict(path: str | os.PathLike[str]) -> Verdict:
    """Read, strictly parse and validate a verdict; every failure is a VerdictError."""
    path = Path(path)
    try:
        if path.is_dir():
            raise VerdictError(f"{path}: is a directory, not a verdict file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise VerdictError(f"{path}: {size} bytes, larger than any verdict ({MAX_BYTES})")
        raw = path.read_bytes()
    except OSError as exc:
        raise VerdictError(f"{path}: cannot read the verdict: {exc.strerror or exc}") from None
    return validate_verdict(parse_strict(raw, str(path)), source=str(path))


def tier_status(entry: Mapping[str, Any]) -> str:
    """A tier's one-word state, from its own counts."""
    if entry.get("failed", 0) or entry.get("errors", 0):
        return "failed"
    if entry.get("passed", 0) or entry.get("xpassed", 0):
        return "passed"
    if not entry.get("selected"):
        return "not_run"
    if entry.get("skipped", 0) or entry.get("xfailed", 0):
        return "skipped"
    if entry.get("collected", 0):
        return "not_run"
    return "empty"


def build_verdict(
    *,
    run: RunSummary,
    tiers: Mapping[str, TierSpec],
    required: Sequence[str],
    gates: Sequence[GateResult],
    problems: Sequence[Problem],
    interrupted: bool,
    git: GitInfo,
    config: ConfigEntry,
    tool_version: str,
    python_version: str,
    pytest_version: str,
    args: Sequence[str],
    project: str | None = None,
) -> Verdict:
    """The verdict without its decision (``decide`` adds ``decision`` and ``reasons``)."""
    tier_entries: dict[str, TierEntry] = {}
    for name, stats in run.tiers.items():
        spec = tiers.get(name)
        entry: TierEntry = {
            "selected": stats.selected,
            "required": name in required,
            "collected": stats.collected,
            "deselected": stats.deselected,
            "files_on_disk": stats.files_on_disk,
            "passed": stats.passed,
            "failed": stats.failed,
            "errors": stats.errors,
            "skipped": stats.skipped + stats.skipped_modules,
            "skipped_modules": stats.skipped_modules,
            "xfailed": stats.xfailed,
            "xpassed": stats.xpassed,
            "never_ran": stats.never_ran,
            "test_time_s": round(stats.test_time_s, 4),
            "wall_time_s": round(stats.wall_time_s, 4),
            "budget_s": spec.budget if spec else None,
            "test_timeout_s": spec.test_timeout if spec else None,
            "slowest": [
                {"nodeid": nodeid, "duration_s": round(duration, 4)}
                for nodeid, duration in stats.slowest
            ],
        }
        entry["status"] = tier_status(entry)
        tier_entries[name] = entry
    return {
        "schema_version": SCHEMA_VERSION,
        "decision": "incomplete",
        "reasons": [],
        "created_at": utc_now_iso(),
        "commit": git.commit,
        "commit_time": git.commit_time,
        "branch": git.branch,
        "dirty": git.dirty,
        "tree": {"digest": git.tree, "head": git.head_tree, "excluded": list(git.excluded)},
        "project": project,
        "config": config,
        "tool": {"name": "pytest-pyramid", "version": tool_version},
        "run": {
            "selected_tiers": list(run.selected_tiers),
            "workers": run.workers,
            "duration_s": round(run.duration_s, 3),
            "pytest_exit": run.exitstatus,
            "interrupted": interrupted,
            "args": list(args),
            "filtered": list(run.filter_reasons),
            "python": python_version,
            "pytest": pytest_version,
            "collected": sum(s.collected for s in run.tiers.values()),
            "never_ran": sum(s.never_ran for s in run.tiers.values()),
        },
        "completeness": list(problems),
        "tiers": tier_entries,
        "gates": [gate.to_json() for gate in gates if gate.level != "off"],  # type: ignore[misc]
    }


def merge_sections(verdict: Verdict, sections: Mapping[str, Any]) -> None:
    """Merge a plugin's sections; ``tiers`` entries are merged per tier, the rest added.

    Add-only: the keys that carry the judgement itself, and any section or per-tier entry
    already written (the measured ``coverage``, ``tiers.<tier>.coverage``, another plugin's
    ``metrics`` entry) cannot be replaced by a plugin: a ValueError names the key, and the
    caller records it as a plugin error. A plugin that annotates nests its own keys.
    """
    document: dict[str, Any] = verdict  # type: ignore[assignment]
    for key, value in sections.items():
        if key in _PROTECTED:
            raise ValueError(f"section {key!r} is written by pytest-pyramid itself")
        if key == "tiers" and isinstance(value, Mapping):
            for tier, extra in value.items():
                if not isinstance(extra, Mapping):
                    raise ValueError(f"tiers.{tier} must be a mapping")
                clash = set(extra) & _TIER_COUNTS
                if clash:
                    raise ValueError(f"tiers.{tier}.{sorted(clash)[0]} is a count of the run")
                _add(document["tiers"].setdefault(tier, {}), extra, f"tiers.{tier}.")
        elif key in ("metrics", "artifacts") and isinstance(value, Mapping):
            _add(document.setdefault(key, {}), value, f"{key}.")
        else:
            _add(document, {key: value}, "")


def _add(target: dict[str, Any], entries: Mapping[str, Any], where: str) -> None:
    taken = sorted(set(entries) & set(target))
    if taken:
        raise ValueError(f"{where}{taken[0]} is already in the verdict: a plugin section adds, "
                         "it never replaces (nest your own keys under a name of your own)")
    target.update(entries)


#: the plugins of pytest-pyramid itself that write measured sections (coverage, metrics)
OWN_SECTION_PROVIDERS = frozenset({"pyramid-gates", "pyramid-coverage"})
_PROTECTED = frozenset(
    {
        "schema_version",
        "decision",
        "reasons",
        "created_at",
        "commit",
        "commit_time",
        "branch",
        "dirty",
        "tree",
        "config",
        "tool",
        "run",
        "completeness",
        "gates",
        "results",
        "run_id",
        "run_number",
    }
)
_TIER_COUNTS = frozenset(
    {
        "selected",
        "required",
        "status",
        "collected",
        "deselected",
        "files_on_disk",
        "passed",
        "failed",
        "errors",
        "skipped",
        "xfailed",
        "xpassed",
        "skipped_modules",
        "never_ran",
    }
)
