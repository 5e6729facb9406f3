"""A CI shard's partial result (``pyramid-partial-I-of-N.json``): evidence, not a verdict.

A shard defers judgement: it writes what it ran and measured, with enough to check that
the shards add up to one run of one selection on one tree (``verdict/merge.py``):

- who: ``run_id`` (shared by the shards of one CI run), ``attempt`` (unique per run of a
  shard: a CI retry has another), commit, tree digest, config digest, shard ``I/N``;
- what: a digest of the full selection before splitting, this shard's tests as the same
  per-test records every report uses (``verdict/records.py``) plus the assigned tests
  that never reported, per-tier counts, raw metric samples, shared fixture setup times;
- coverage: a coverage.py data file next to the partial (tier contexts, relative paths),
  named with its digest;
- raw facts the merge judges again, through the writer's own checks
  (``verdict/assemble.py``): the invocation as recorded (every argument source, setting,
  variable, interpreter flag and plugin not loaded) and the closed world (every file the
  shard's processes imported or collected from, by repository-relative path, with the git
  blob id of the bytes read). The shard's own findings (``completeness``) are kept too, but
  a partial that says "no findings" while its raw facts show a problem does not merge to
  ``ready``, and one without the raw facts is ``incomplete``.

The schema (``partial_schema.json`` beside this module) is the contract. A partial is
written at start as ``finished: false`` (so a shard that dies leaves no older partial
behind) and replaced when the shard ends.
"""

from __future__ import annotations

import json
import math
import os
import re
import uuid
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.durations import now as clock
from pytest_pyramid.errors import VerdictError
from pytest_pyramid.run.arrival import arrival_problem
from pytest_pyramid.run.interpreter_identity import environment_identity
from pytest_pyramid.run.summary import attempts_problem, recorded_limit
from pytest_pyramid.verdict.document import MAX_DEPTH, check_values, parse_strict, utc_now_iso
from pytest_pyramid.verdict.records import records
from pytest_pyramid.verdict.run_identity import run_identity

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from pytest_pyramid.run.imported import CodeSeen
    from pytest_pyramid.run.summary import Problem, RunSummary, ShardEnd
    from pytest_pyramid.verdict.provenance import GitInfo

PARTIAL_FORMAT = "pytest-pyramid-partial"
PARTIAL_SCHEMA_VERSION = 1
#: a partial larger than this is refused unread (50,000 records are about 10 MB)
MAX_BYTES = 512 * 1024 * 1024
#: CI variables that tell attempts of one shard apart (a retried job has a larger one)
ATTEMPT_VARIABLES = ("GITHUB_RUN_ATTEMPT", "CI_JOB_ID", "BUILDKITE_RETRY_COUNT",
                     "CIRCLE_BUILD_NUM")


def partial_name(index: int, total: int) -> str:
    return f"pyramid-partial-{index}-of-{total}.json"


def coverage_name(index: int, total: int) -> str:
    return f"pyramid-partial-{index}-of-{total}.coverage"


def partial_path(verdict_path: Path, index: int, total: int) -> Path:
    """Where a shard writes its partial: beside the verdict an unsharded run would write."""
    return verdict_path.with_name(partial_name(index, total))


def run_id(environ: Mapping[str, str]) -> tuple[str | None, int | None]:
    """The CI run the shard belongs to, shared by all its shards, retries included
    (``verdict/run_identity.py``, the id the reports and the history use); None outside CI,
    where every run would get an id of its own."""
    identity = run_identity(environ)
    if identity.run_id.startswith("local:") and "PYRAMID_RUN_ID" not in environ:
        return None, identity.run_number
    return identity.run_id, identity.run_number


def ci_attempt(environ: Mapping[str, str]) -> str | None:
    for name in ATTEMPT_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return f"{name}={value}"
    return None


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    text = resources.files("pytest_pyramid.verdict").joinpath("partial_schema.json")
    schema: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return schema


def schema_errors(partial: object) -> list[str]:
    """Every schema violation, as ``path: message`` lines (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(partial), key=lambda e: [str(p) for p in e.absolute_path])
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message[:200]}"
        for error in errors
    ]


def _shell(index: int, total: int, source: str, environ: Mapping[str, str]) -> dict[str, Any]:
    from pytest_pyramid import __version__

    now = clock()
    identity, number = run_id(environ)
    return {
        "format": PARTIAL_FORMAT,
        "schema_version": PARTIAL_SCHEMA_VERSION,
        "finished": False,
        "shard": {"index": index, "total": total, "source": source},
        "run_id": identity,
        "run_number": number,
        "attempt": {
            "id": uuid.uuid4().hex,
            "ci": ci_attempt(environ),
            "started": now,
            "finished": now,
            "created_at": utc_now_iso(),
        },
        "tool": {"name": "pytest-pyramid", "version": __version__},
    }


def placeholder_partial(
    index: int, total: int, source: str, reason: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A partial that says the shard has not (yet) finished, and why."""
    document = _shell(index, total, source, os.environ if environ is None else environ)
    document["completeness"] = [{"kind": "not_finished", "message": reason}]
    return document


def write_placeholder_partial(path: Path, index: int, total: int, source: str,
                              reason: str) -> None:
    write_json_atomic(path, placeholder_partial(index, total, source, reason))


def code_facts(seen: CodeSeen | None, toplevel: str | None,
               loaded: Mapping[str, str | None] | None = None,
               distributions: Mapping[str, Mapping[str, Any]] | None = None
               ) -> dict[str, Any] | None:
    """The closed world's raw facts as a partial carries them: paths relative to the
    shard's checkout (the merge's is elsewhere), and the modules of the project's packages
    the shard loaded (``run/loaded.py``; ``loaded``: absent when not recorded); None when
    nothing was recorded."""
    if seen is None or toplevel is None:
        return None
    from pytest_pyramid.run.unfollowed import placed

    root = os.path.realpath(toplevel)

    def rel(path: str) -> str:  # a key naming no file (a shell's stdin) is kept as it is
        return placed(path, lambda p: os.path.relpath(p, root).replace(os.sep, "/"))

    facts: dict[str, Any] = {
        "files": {rel(path): blob for path, blob in sorted(seen.files.items())},
        "unverifiable": {rel(path): why for path, why in sorted(seen.unverifiable.items())}}
    if loaded is not None:
        facts["loaded"] = dict(sorted(loaded.items()))
    if distributions is not None:  # the installed distributions it imported (merge: union)
        facts["distributions"] = {k: dict(v) for k, v in sorted(distributions.items())}
    return facts


def build_partial(
    *,
    run: RunSummary,
    shard: ShardEnd,
    git: GitInfo,
    config: Mapping[str, str],
    project: str | None,
    problems: Sequence[Problem],
    interrupted: bool,
    exitstatus: int,
    tests_failed: int,
    required: Sequence[str],
    args: Sequence[str],
    effective_limits: Mapping[str, float | None],
    coverage: Mapping[str, object] | None,
    sections: Mapping[str, object],
    plugin_gates: Sequence[str],
    diff_base: str | None,
    started: float,
    python_version: str,
    pytest_version: str,
    invocation: Mapping[str, Any] | None = None,
    closed_world: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The partial document of a finished shard (see the module docstring)."""
    document = _shell(shard.index, shard.total, shard.source,
                      os.environ if environ is None else environ)
    document["finished"] = True
    document["attempt"]["started"] = started
    tests = records(run)
    reported = {entry["nodeid"] for entry in tests}
    selection = shard.selection
    document.update({
        "commit": git.commit,
        "commit_time": git.commit_time,
        "branch": git.branch,
        "dirty": git.dirty,
        "tree": {"digest": git.tree, "head": git.head_tree, "excluded": list(git.excluded)},
        "config": dict(config),
        "project": project,
        "python": python_version,
        "pytest": pytest_version,
        "environment": dict(environment_identity()),
        "selection": {
            "digest": selection.get("digest"),
            "values": selection.get("values"),
            "count": int(selection.get("count", 0)),
            "tiers": dict(selection.get("tiers", {})),
            "selected_tiers": list(run.selected_tiers),
            "durations": selection.get("durations"),
            "durations_digest": selection.get("durations_digest"),
            "units": int(selection.get("units", 0)),
            "estimated": int(selection.get("estimated", 0)),
            "predicted_s": list(selection.get("predicted_s", [])),
        },
        "tests": tests,
        "not_reported": [
            {"nodeid": nodeid, "tier": tier}
            for nodeid, tier in sorted(shard.assigned.items()) if nodeid not in reported
        ],
        "assigned": len(shard.assigned),
        "tiers": {
            name: {
                "selected": stats.selected,
                "collected": stats.collected,
                "deselected": stats.deselected,
                "paths_not_collected": stats.paths_not_collected,
                "files_on_disk": stats.files_on_disk,
                "skipped_modules": stats.skipped_modules,
                "never_ran": stats.never_ran,
                "test_time_s": stats.test_time_s,
                "wall_time_s": round(stats.wall_time_s, 6),
                "budget_s": stats.budget_s,
                "test_timeout_s": recorded_limit(effective_limits.get(name), stats.own_timeout_s),
                "slowest": [
                    {"nodeid": nodeid, "duration_s": duration}
                    for nodeid, duration in stats.slowest
                ],
            }
            for name, stats in run.tiers.items()
        },
        "metrics": [
            {"name": s.name, "value": s.value, "tier": s.tier, "nodeid": s.nodeid,
             "tags": dict(s.tags)}
            for s in run.metrics
        ],
        "metrics_discarded": [list(entry) for entry in run.metrics_discarded],
        "scope_setup": {key: round(value, 6) for key, value in sorted(shard.scope_setup.items())},
        "run": {
            "exitstatus": exitstatus,
            "interrupted": interrupted,
            "tests_failed": tests_failed,
            "failed_reports": run.failed_reports,
            "collection_errors": run.collection_errors,
            "workers": run.workers,
            "duration_s": round(run.duration_s, 3),
            "args": list(args),
            "filtered": list(run.filter_reasons),
            "required": list(required),
        },
        "completeness": list(problems),
        "coverage": dict(coverage) if coverage is not None else None,
        "sections": dict(sections),
        "plugin_gates": list(plugin_gates),
        "diff_base": diff_base,
        "invocation": dict(invocation) if invocation is not None else None,
        "closed_world": dict(closed_world) if closed_world is not None else None,
    })
    # the later try of a shard is the one that finished later: never a clock a test froze
    document["attempt"]["finished"] = clock()  # (hostile case 215)
    return document


def load_partial(path: Path) -> dict[str, Any]:
    """Read, strictly parse and validate a partial; every failure is a VerdictError."""
    try:
        if path.is_dir():
            raise VerdictError(f"{path}: is a directory, not a partial result")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise VerdictError(f"{path}: {size} bytes, larger than any partial ({MAX_BYTES})")
        raw = path.read_bytes()
    except OSError as exc:
        raise VerdictError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    data = _parse(raw, str(path))
    problems = _quick_problems(data)
    if problems:
        raise VerdictError(f"{path}: not a pytest-pyramid partial result: {problems}")
    assert isinstance(data, dict)
    return data


#: an escaped surrogate: only then is every string checked (a lone one cannot be re-encoded)
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_MAX_INT = 2**63


def _parse(raw: bytes, source: str) -> object:
    """:func:`~pytest_pyramid.verdict.document.parse_strict`'s checks, fast on clean input
    (12 MB of partials would take seconds walking every value): the records' and samples'
    numbers are checked field by field in :func:`_quick_problems`, everything else is walked
    there; strings are walked only when an escaped surrogate occurs. Absurd nesting stops
    the parser itself."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerdictError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise VerdictError(f"{source}: the file is empty")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise VerdictError(f"{source}: not valid JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise VerdictError(f"{source}: not valid JSON: {str(exc)[:200]}") from None
    if _SURROGATE.search(text):
        return parse_strict(raw, source)  # the thorough walk says what exactly is wrong
    return data


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON (strict JSON has no NaN or Infinity)")


def _too_deep(value: object, limit: int) -> bool:
    if limit < 0:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, limit - 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, limit - 1) for v in value)
    return False


def _quick_problems(data: object) -> str | None:
    """Schema validation without walking every record through jsonschema (50,000 records
    take seconds that way): the records are checked field by field here."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("format") != PARTIAL_FORMAT:
        return f"format is {data.get('format')!r}, expected {PARTIAL_FORMAT!r}"
    if data.get("schema_version") != PARTIAL_SCHEMA_VERSION:
        return (f"schema_version is {data.get('schema_version')!r}; this version reads "
                f"{PARTIAL_SCHEMA_VERSION}")
    tests = data.get("tests")
    shallow = dict(data)
    for key in ("tests", "metrics"):  # checked below, one by one
        if isinstance(data.get(key), list):
            shallow[key] = []
    if _too_deep(data.get("sections"), MAX_DEPTH - 2):
        return f"sections: nested deeper than a verdict may be ({MAX_DEPTH} levels)"
    try:  # infinities (1e999), integers beyond 64 bits: what no verdict may hold
        check_values(shallow, "the partial")
    except VerdictError as exc:
        return str(exc).removeprefix("the partial: ")
    errors = schema_errors(shallow)
    if errors:
        listed = "; ".join(errors[:3])
        return listed + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")
    if data.get("finished"):
        if not isinstance(tests, list):
            return "tests: not a list"
        if not all(map(_clean_record, tests)):  # the common case, in one pass
            for position, entry in enumerate(tests):
                problem = _record_problem(entry)
                if problem:
                    return f"tests/{position}: {problem}"
        metrics = data.get("metrics")
        if not isinstance(metrics, list):
            return "metrics: not a list"
        for position, sample in enumerate(metrics):
            problem = _sample_problem(sample)
            if problem:
                return f"metrics/{position}: {problem}"
    return None


_OUTCOMES = frozenset({"passed", "failed", "error", "skipped", "xfailed", "xpassed",
                       "unfinished"})


_NUMBER = (int, float)
_INF = math.inf


def _clean_record(entry: object) -> bool:
    """A record that :func:`_record_problem` would pass, checked in one expression."""
    if type(entry) is not dict:
        return False
    e: Any = entry  # the values' types are what is being checked
    s, c, t = e.get("setup_s"), e.get("call_s"), e.get("teardown_s")
    return (
        type(e.get("nodeid")) is str
        and type(e.get("tier")) is str
        and e.get("outcome") in _OUTCOMES
        and type(s) in _NUMBER and 0 <= s < _INF
        and type(c) in _NUMBER and 0 <= c < _INF
        and type(t) in _NUMBER and 0 <= t < _INF
        and ("reruns" not in e or (type(e["reruns"]) is int and 0 <= e["reruns"] < _MAX_INT))
        and ("message" not in e or type(e["message"]) is str)
        and ("fixture_failure" not in e or type(e["fixture_failure"]) is str)
        and ("arrival" not in e or arrival_problem(e["arrival"], record=True) is None)
        and ("earlier_attempts" not in e
             or attempts_problem(e["earlier_attempts"], e.get("reruns", 0)) is None)
    )


def _record_problem(entry: object) -> str | None:
    if type(entry) is not dict:
        return "not an object"
    if type(entry.get("nodeid")) is not str or type(entry.get("tier")) is not str:
        return "nodeid and tier must be strings"
    if entry.get("outcome") not in _OUTCOMES:
        return f"outcome {entry.get('outcome')!r} is not one of {sorted(_OUTCOMES)}"
    for key in ("setup_s", "call_s", "teardown_s"):
        value = entry.get(key)
        if type(value) not in _NUMBER or not 0 <= value < math.inf:  # type: ignore[operator]
            return f"{key} must be a finite number >= 0"  # type() is exact: no bool
    reruns = entry.get("reruns", 0)
    if type(reruns) is not int or not 0 <= reruns < _MAX_INT:
        return "reruns must be a whole number >= 0"
    if type(entry.get("message", "")) is not str:
        return "message must be a string"
    if type(entry.get("fixture_failure", "")) is not str:
        return "fixture_failure must be a string"
    if "earlier_attempts" in entry:
        problem = attempts_problem(entry["earlier_attempts"], reruns)
        if problem:
            return problem
    if "arrival" in entry:
        return arrival_problem(entry["arrival"], record=True)
    return None


def _sample_problem(sample: object) -> str | None:
    if not isinstance(sample, dict):
        return "not an object"
    value = sample.get("value")
    if type(value) not in _NUMBER or not -math.inf < value < math.inf:  # type: ignore[operator]
        return "value must be a finite number"
    if not all(isinstance(sample.get(k), str) for k in ("name", "tier", "nodeid")):
        return "name, tier and nodeid must be strings"
    tags = sample.get("tags", {})
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        return "tags must map names to strings"
    return None
