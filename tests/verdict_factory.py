"""Schema-valid, self-consistent verdicts for tests of the readers (check, deploy, trust)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_pyramid.verdict.decision import decide

COMMIT = "0123456789abcdef0123456789abcdef01234567"
TREE = "89abcdef0123456789abcdef0123456789abcdef"

_GATES: dict[str, list[dict[str, Any]]] = {
    "ready": [],
    "blocked": [
        {
            "id": "g",
            "level": "block",
            "status": "fail",
            "actual": 1,
            "threshold": 0,
            "message": "one finding",
        }
    ],
    "needs_approval": [
        {
            "id": "risk.approval",
            "level": "approve",
            "status": "fail",
            "actual": 5,
            "threshold": 3,
            "message": "risky change",
        }
    ],
    "incomplete": [],
}


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def tier(passed: int = 1, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "selected": True,
        "required": True,
        "status": "passed" if passed else "not_run",
        "collected": passed,
        "deselected": 0,
        "files_on_disk": 1,
        "passed": passed,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "never_ran": 0,
        "test_time_s": 0.1,
        "wall_time_s": 0.1,
        "budget_s": 30.0,
        "test_timeout_s": 10.0,
        "slowest": [],
    }
    entry.update(changes)
    return entry


def make_verdict(
    decision: str = "ready",
    *,
    age: timedelta = timedelta(0),
    consistent: bool = True,
    **changes: Any,
) -> dict[str, Any]:
    """A verdict whose gates, tiers and completeness give ``decision``; ``changes`` after."""
    data: dict[str, Any] = {
        "schema_version": 2,
        "decision": decision,
        "reasons": [],
        "created_at": iso(datetime.now(timezone.utc) - age),
        "commit": COMMIT,
        "commit_time": None,
        "branch": "main",
        "dirty": False,
        "tree": {
            "digest": TREE,
            "head": TREE,
            "excluded": ["**/.coverage", "pyramid-verdict.json"],
        },
        "project": ".",  # the repository's top: where these tests' repositories keep it
        "config": {"file": "pyproject.toml", "digest": "sha256:0"},
        "tool": {"name": "pytest-pyramid", "version": "0.1.0"},
        "run": {
            "selected_tiers": ["unit"],
            "workers": 0,
            "duration_s": 1.0,
            "pytest_exit": 0,
            "interrupted": False,
            # a top-level run (verdict/trust.py refuses a nested run's verdict)
            "invocation": {"sources": [], "settings": [], "environment": {},
                           "interpreter": {}, "exclusions": [], "started_by_run": False},
            # the run imported no installed distribution (deploy/libraries.py compares them)
            "distributions": [],
        },
        "completeness": (
            [{"kind": "narrowed", "message": "-k 'x' filtered the tests"}]
            if decision == "incomplete"
            else []
        ),
        "tiers": {"unit": tier()},
        "gates": copy.deepcopy(_GATES[decision]),
    }
    if decision == "needs_approval":
        data["risk"] = {
            "level": "high",
            "score": 5,
            "factors": [],
            "required_approvals": 1,
            "approver_roles": [],
        }
    data.update(changes)
    if consistent:
        data["decision"], data["reasons"] = decide(data)
    return data
