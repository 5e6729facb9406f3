"""The deploy gate: may this verdict send this commit to production now?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pytest_pyramid.deploy.approvals import Approval, tally
from pytest_pyramid.durations import format_duration
from pytest_pyramid.verdict import approvals_needed, parse_created_at

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

GateOutcome = Literal["allowed", "refused", "needs_approval"]
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class GateJudgement:
    outcome: GateOutcome
    reasons: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"

    @property
    def exit_code(self) -> int:
        return {"allowed": 0, "refused": 1, "needs_approval": 2}[self.outcome]


def same_commit(verdict_commit: str, deployed: str) -> bool:
    """Full SHAs must match; an abbreviated SHA (>= 7 chars) matches its full form."""
    a, b = verdict_commit.lower(), deployed.lower()
    if len(a) == len(b):
        return a == b
    short, full = sorted((a, b), key=len)
    return len(short) >= 7 and full.startswith(short)


def judge(
    verdict: Mapping[str, Any],
    *,
    commit: str,
    now: datetime,
    max_age: timedelta,
    allow_dirty: bool = False,
    signature_problem: str | None = None,
    approvals: Sequence[Approval] = (),
    approval_ttl: timedelta = timedelta(hours=24),
) -> GateJudgement:
    """Judge an already schema-valid verdict; every refusal reason is listed, not only the first."""
    refusals: list[str] = []
    if signature_problem:
        refusals.append(f"signature: {signature_problem}")
    verdict_commit = verdict.get("commit")
    if not verdict_commit:
        refusals.append("the verdict records no commit, so it cannot vouch for any deployment")
    elif not same_commit(str(verdict_commit), commit):
        refusals.append(
            f"the verdict is for commit {str(verdict_commit)[:12]}, "
            f"but the commit being deployed is {commit[:12]}"
        )
    notes: list[str] = []
    if verdict.get("dirty") and not allow_dirty:
        refusals.append(
            "the verdict was produced from a dirty working tree (set allow_dirty to accept)"
        )
    elif verdict.get("dirty"):
        # Accepted, but never silently: the code that runs is not the commit the verdict names.
        notes.append("WARNING: the verdict was produced from a dirty working tree; accepted "
                     "only because allow_dirty is set")
    created = parse_created_at(str(verdict["created_at"]))
    age = now - created
    if age > max_age:
        refusals.append(
            f"the verdict is {format_duration(age.total_seconds())} old "
            f"(max age {format_duration(max_age.total_seconds())}); run the suite again"
        )
    elif -age > CLOCK_SKEW:
        refusals.append(f"the verdict's created_at {verdict['created_at']} is in the future")
    decision = verdict.get("decision")
    reasons = [str(r) for r in verdict.get("reasons", [])]
    if decision in ("blocked", "incomplete"):
        detail = f": {'; '.join(reasons[:3])}" if reasons else ""
        refusals.append(f"the verdict decision is {decision}{detail}")
    if refusals:
        return GateJudgement("refused", tuple(refusals))
    if decision == "ready":
        return GateJudgement("allowed", ("verdict is ready, fresh, and for this commit", *notes))
    required, roles, needed = approvals_needed(verdict)
    counted = tally(
        approvals, commit=str(verdict_commit), roles=roles, now=now, ttl=approval_ttl
    )
    summary = f"{needed}; has {counted.count}"
    if counted.count >= required:
        who = ", ".join(counted.counted) or "none required"
        return GateJudgement("allowed", (f"{summary}: approved by {who}", *notes))
    details = [summary, *(f"not counted: {why}" for why in counted.ignored)]
    details.append(
        f"record one with: pyramid approve --by NAME --role ROLE (commit {verdict_commit})"
    )
    return GateJudgement("needs_approval", tuple(details))
