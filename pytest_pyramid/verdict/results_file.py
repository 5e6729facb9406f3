"""The per-test results file next to the verdict, and the verdict's reference to it.

The verdict stays small (counts, gates, the slowest few tests); what every test did lives in
one compact JSON file beside it, built from :func:`pytest_pyramid.verdict.records.records`:

    {"format": "pytest-pyramid-results", "version": 2, "tests": [<record>, ...]}

Version 2 added each record's ``earlier_attempts`` (its attempts before the last); a
version 1 file is still read: its ``reruns`` stand for that many failed attempts.

The verdict names it by path (relative to the verdict's folder, so both travel together as
CI artifacts) and by the sha256 of its bytes, so a report never renders a results file that
belongs to another run. Reports are built from these two files only: a merged verdict of CI
shards works the same way when it references a merged results file.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from pytest_pyramid._files import write_bytes_atomic
from pytest_pyramid.errors import VerdictError
from pytest_pyramid.gates.wording import count as plural
from pytest_pyramid.run.arrival import arrival_problem
from pytest_pyramid.run.summary import attempts_problem

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from pytest_pyramid.verdict.document import ResultsRef
    from pytest_pyramid.verdict.records import ResultRecord

FORMAT = "pytest-pyramid-results"
VERSION = 2
#: the versions this pytest-pyramid reads (1: before ``earlier_attempts``)
READS = frozenset({1, VERSION})
#: outcomes a record can carry (``unfinished``: started, never ended)
OUTCOMES = frozenset(
    {"passed", "failed", "error", "skipped", "xfailed", "xpassed", "unfinished"}
)
#: larger than any results file a real run writes (50,000 tests with capped messages is ~25 MB)
MAX_BYTES = 512 * 1024 * 1024


def results_path_for(verdict_path: Path) -> Path:
    """``pyramid-verdict.json`` -> ``pyramid-verdict.results.json`` (same folder)."""
    stem = verdict_path.name[:-5] if verdict_path.name.endswith(".json") else verdict_path.name
    return verdict_path.with_name(f"{stem}.results.json")


def encode(entries: Sequence[ResultRecord]) -> bytes:
    document = {"format": FORMAT, "version": VERSION, "tests": list(entries)}
    # compact on purpose: 50,000 records are read back by every report
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8") + b"\n"


def write_results(
    path: Path, entries: Sequence[ResultRecord], *, relative_to: Path
) -> ResultsRef:
    """Write the results file atomically; the reference the verdict beside it carries."""
    data = encode(entries)
    write_bytes_atomic(path, data)
    try:
        shown = path.resolve().relative_to(relative_to.resolve()).as_posix()
    except ValueError:
        shown = str(path.resolve())
    return {"path": shown, "sha256": hashlib.sha256(data).hexdigest(), "tests": len(entries)}


def resolve(ref: Mapping[str, Any], verdict_path: Path) -> Path:
    """Where the results file a verdict references lives (relative to the verdict's folder)."""
    return verdict_path.parent / str(ref["path"])


def load_results(verdict: Mapping[str, Any], verdict_path: Path) -> list[ResultRecord]:
    """The records a verdict references, checked against its digest and count.

    Every problem is a :class:`VerdictError` naming the file: missing, another run's (digest),
    unreadable, or not a results file. A verdict without a reference has no per-test results.
    """
    ref = verdict.get("results")
    if not isinstance(ref, dict):
        raise VerdictError(f"{verdict_path}: the verdict references no per-test results file")
    path = resolve(ref, verdict_path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise VerdictError(f"{path}: larger than any results file ({MAX_BYTES} bytes)")
        raw = path.read_bytes()
    except OSError as exc:
        raise VerdictError(
            f"{path}: cannot read the per-test results the verdict references: "
            f"{exc.strerror or exc}"
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != ref.get("sha256"):
        raise VerdictError(
            f"{path}: sha256 {digest[:16]}... is not the {str(ref.get('sha256'))[:16]}... "
            "the verdict names (a results file of another run)"
        )
    entries = parse_results(raw, str(path))
    if len(entries) != ref.get("tests"):
        raise VerdictError(
            f"{path}: {plural(len(entries), 'test')}, the verdict says {ref.get('tests')}"
        )
    return entries


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON (strict JSON has no NaN or Infinity)")


def parse_results(raw: bytes, source: str) -> list[ResultRecord]:
    """Strictly parse a results file; each record is checked field by field.

    Not through the verdict's ``parse_strict`` and a JSON Schema: both walk the document in
    Python, seconds on 50,000 records; the shape here is fixed, so the C parser plus one
    loop over the records checks the same (no NaN, every field's type, valid Unicode)."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise VerdictError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise VerdictError(f"{source}: not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise VerdictError(f"{source}: not a pytest-pyramid results file")
    version = data.get("version")
    if type(version) is not int or version not in READS:
        raise VerdictError(f"{source}: results format version {version!r} "
                           f"(this pytest-pyramid reads {', '.join(map(str, sorted(READS)))})")
    tests = data.get("tests")
    if not isinstance(tests, list):
        raise VerdictError(f"{source}: 'tests' is not a list")
    for index, entry in enumerate(tests):
        problem = _record_problem(entry)
        if problem:
            raise VerdictError(f"{source}: tests[{index}]: {problem}")
    return tests


_NUMBERS = ("setup_s", "call_s", "teardown_s")


def _record_problem(entry: object) -> str | None:
    # written for speed (50,000 calls per report): exact type checks, no isinstance chains;
    # NaN and infinities never get here (the parser refuses them)
    if type(entry) is not dict:
        return "not an object"
    nodeid, tier = entry.get("nodeid"), entry.get("tier")
    if type(nodeid) is not str or not nodeid:
        return "nodeid must be a non-empty string"
    if type(tier) is not str or not tier:
        return "tier must be a non-empty string"
    if not nodeid.isascii() and not _encodable(nodeid):
        return "nodeid is not valid Unicode (a lone surrogate)"
    if not tier.isascii() and not _encodable(tier):
        return "tier is not valid Unicode (a lone surrogate)"
    if entry.get("outcome") not in OUTCOMES:
        return f"outcome {entry.get('outcome')!r} is not one of {', '.join(sorted(OUTCOMES))}"
    for key in _NUMBERS:
        value = entry.get(key, 0.0)
        kind = type(value)
        if (kind is not float and kind is not int) or value < 0:
            return f"{key} must be a number >= 0"
    reruns = entry.get("reruns", 0)
    if type(reruns) is not int or reruns < 0:
        return "reruns must be a whole number >= 0"
    if "arrival" in entry:
        problem = arrival_problem(entry["arrival"], record=True)
        if problem:
            return problem
    if "earlier_attempts" in entry:
        problem = attempts_problem(entry["earlier_attempts"], reruns)
        if problem:
            return problem
    if type(entry.get("fixture_failure", "")) is not str:
        return "fixture_failure must be a string"
    message = entry.get("message")
    if message is not None:
        if type(message) is not str:
            return "message must be a string"
        if not message.isascii() and not _encodable(message):
            return "message is not valid Unicode (a lone surrogate)"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
