"""CTRF (Common Test Report Format) JSON from a verdict and its per-test records (pure).

Valid against the CTRF schema vendored beside this module (``ctrf.schema.json``, spec
0.0.0, from the ``ctrf`` reference package). Unlike reporters that fold a parametrized test
into one entry with "retries", every case is its own test, named by its full node id; the
tier is the test's ``type``; the attempts before the last (reruns, a retried shard's tries)
are ``retries``/``retryAttempts`` and ``flaky``; the
verdict's decision and gates ride in ``extra.pyramid``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pytest_pyramid.run.summary import earlier_attempts, failed_attempts

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pytest_pyramid.verdict.records import ResultRecord

SPEC_VERSION = "0.0.0"
#: our outcome -> CTRF status (``rawStatus`` keeps ours); xfailed is a skip, as in JUnit
STATUS = {
    "passed": "passed",
    "xpassed": "passed",
    "failed": "failed",
    "error": "failed",
    "skipped": "skipped",
    "xfailed": "skipped",
    "unfinished": "other",
}


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _epoch_ms(text: object) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def suite_of(nodeid: str, tier: str) -> list[str]:
    """[tier, file, class, ...]: where a test sits, outermost first."""
    path, _, rest = nodeid.partition("::")
    names = rest.partition("[")[0].split("::")[:-1] if rest else []
    return [tier, path, *names]


def _headline(text: str) -> str:
    """The line that says what went wrong: pytest's first ``E`` line, else the first line."""
    lines = [line for line in text.splitlines() if line.strip()]
    found = next((line[1:].strip() for line in lines if line.startswith("E ")), None)
    return (found or (lines[0].strip() if lines else text))[:500]


def test_entry(entry: ResultRecord) -> dict[str, Any]:
    """One CTRF test. Only what a CTRF reader uses: 50,000 of them are written at once."""
    outcome = entry["outcome"]
    nodeid = entry["nodeid"]
    status = STATUS.get(outcome, "other")
    seconds = (entry.get("setup_s", 0.0) + entry.get("call_s", 0.0)
               + entry.get("teardown_s", 0.0))
    test: dict[str, Any] = {
        "name": nodeid,
        "status": status,
        "duration": round(seconds * 1000),
        "type": entry["tier"],
        "suite": suite_of(nodeid, entry["tier"]),
        "filePath": nodeid.partition("::")[0],
    }
    if outcome != status:
        test["rawStatus"] = outcome
    message = entry.get("message")
    if message:
        test["message"] = _headline(message)
        test["trace"] = message
    if "earlier_attempts" in entry or entry.get("reruns"):
        _retries(test, entry)
    return test


def _retries(test: dict[str, Any], entry: ResultRecord) -> None:
    """CTRF's ordered attempts before the final one: in-run reruns and a retried shard's
    tries, each with its own status and time (a results file of version 1: its reruns, each
    a failure of unknown time); flaky when one failed and the last passed."""
    earlier = earlier_attempts(entry)
    test["retries"] = len(earlier)
    test["retryAttempts"] = [
        {"attempt": number, "status": STATUS.get(attempt["outcome"], "other"),
         **({"duration": round(attempt["duration_s"] * 1000)} if "duration_s" in attempt
            else {})}
        for number, attempt in enumerate(earlier, start=1)
    ]
    test["flaky"] = entry["outcome"] == "passed" and failed_attempts(earlier) > 0


def _ledger_extra(tests: list[dict[str, Any]], standing: object) -> None:
    """Each test the flake ledger holds evidence on carries its standing in ``extra``
    (CTRF's place for tool data); a ledger-proven flaky test is ``flaky`` as CTRF means it."""
    if not isinstance(standing, dict):
        return
    known = {t.get("nodeid"): t for t in standing.get("tests") or () if isinstance(t, dict)}
    if not known:
        return
    for test in tests:
        entry = known.get(test["name"])
        if entry is None:
            continue
        test.setdefault("extra", {})["pyramidLedger"] = {
            key: entry.get(key)
            for key in ("status", "runs", "first_failures", "rate", "ci95", "evidence")
        }
        if entry.get("status") == "flaky":
            test["flaky"] = True


def _gate(gate: Mapping[str, Any]) -> dict[str, Any]:
    return {key: gate.get(key) for key in ("id", "level", "status", "actual", "threshold",
                                            "message")}


def render_ctrf(
    verdict: Mapping[str, Any],
    records: Sequence[ResultRecord],
    *,
    report_id: str | None = None,
) -> dict[str, Any]:
    """The CTRF document (a dict for ``json.dumps``)."""
    tests = [test_entry(entry) for entry in records]
    _ledger_extra(tests, verdict.get("flaky_ledger"))
    counts = {"passed": 0, "failed": 0, "skipped": 0, "pending": 0, "other": 0}
    for test in tests:
        counts[test["status"]] += 1
    run = verdict.get("run") or {}
    stop = _epoch_ms(verdict.get("created_at")) or 0
    took = _ms(float(run.get("duration_s", 0.0) or 0.0))
    tool = verdict.get("tool") or {}
    document: dict[str, Any] = {
        "reportFormat": "CTRF",
        "specVersion": SPEC_VERSION,
        "reportId": report_id or str(uuid.uuid4()),
        "timestamp": verdict.get("created_at"),
        "generatedBy": f"{tool.get('name', 'pytest-pyramid')} {tool.get('version', '')}".strip(),
        "results": {
            "tool": {
                "name": "pytest",
                **({"version": str(run["pytest"])} if run.get("pytest") else {}),
                "extra": {"plugin": "pytest-pyramid", "pluginVersion": tool.get("version")},
            },
            "summary": {
                "tests": len(tests),
                **counts,
                "flaky": sum(1 for t in tests if t.get("flaky")),
                "suites": len({entry["tier"] for entry in records}),
                "start": max(0, stop - took),
                "stop": stop,
                "duration": took,
            },
            "tests": tests,
        },
        "extra": {
            "pyramid": {
                "decision": verdict.get("decision"),
                "reasons": list(verdict.get("reasons", [])),
                "gates": [_gate(g) for g in verdict.get("gates", [])],
                "completeness": list(verdict.get("completeness", [])),
                "tiers": {
                    name: {key: tier.get(key) for key in (
                        "status", "collected", "passed", "failed", "errors", "skipped",
                        "test_time_s", "budget_s")}
                    for name, tier in (verdict.get("tiers") or {}).items()
                },
            }
        },
    }
    if isinstance(verdict.get("run_id"), str):
        document["runId"] = verdict["run_id"]
    environment: dict[str, Any] = {}
    if verdict.get("commit"):
        environment["commit"] = str(verdict["commit"])
    if verdict.get("branch"):
        environment["branchName"] = str(verdict["branch"])
    if isinstance(verdict.get("run_number"), int):
        environment["buildNumber"] = verdict["run_number"]
    if isinstance(verdict.get("run_id"), str):
        environment["buildId"] = verdict["run_id"]
    if environment:
        document["results"]["environment"] = environment
    return document
