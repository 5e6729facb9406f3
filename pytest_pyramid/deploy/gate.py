"""The deploy gate: may this verdict send this commit to production now?

The trust rules are :mod:`pytest_pyramid.verdict.trust`'s, the same ``pyramid check`` uses;
this module adds what only a deploy needs: approvals for a ``needs_approval`` verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pytest_pyramid.deploy.approvals import Approval, tally
from pytest_pyramid.verdict.decision import approvals_needed
from pytest_pyramid.verdict.trust import Target, TrustPolicy, same_commit, trust_problems

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

GateOutcome = Literal["allowed", "refused", "needs_approval"]

__all__ = ["GateJudgement", "judge", "same_commit"]


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


def judge(
    verdict: Mapping[str, Any],
    *,
    commit: str,
    now: datetime,
    max_age: timedelta,
    allow_dirty: bool = False,
    target: Target | None = None,
    policy: TrustPolicy | None = None,
    envelope: object | None = None,
    approvals: Sequence[Approval] = (),
    approval_ttl: timedelta = timedelta(hours=24),
) -> GateJudgement:
    """Judge an already schema-valid verdict; every refusal reason is listed, not only the first."""
    policy = policy or TrustPolicy(allow_dirty=allow_dirty, max_age_s=max_age.total_seconds())
    refusals = trust_problems(
        verdict,
        target=target or Target(commit, description=commit[:12]),
        policy=policy,
        envelope=envelope,
        now=now,
    )
    notes: list[str] = []
    if verdict.get("dirty") and policy.allow_dirty:
        # Accepted, but never silently: the code that runs is not the commit the verdict names.
        notes.append(
            "WARNING: the verdict was produced from a dirty working tree; accepted "
            "only because allow_dirty is set"
        )
    decision = verdict.get("decision")
    reasons = [str(r) for r in verdict.get("reasons", [])]
    if decision in ("blocked", "incomplete"):
        detail = f": {'; '.join(reasons[:3])}" if reasons else ""
        refusals.append(f"the verdict decision is {decision}{detail}")
    if refusals:
        return GateJudgement("refused", tuple(refusals))
    if decision == "ready":
        return GateJudgement("allowed", ("verdict is ready, fresh, and for this commit", *notes))
    # needs_approval, for whatever gate asked: never fewer than one approval
    required, roles, needed = approvals_needed(verdict)
    verdict_commit = str(verdict.get("commit") or commit)
    counted = tally(approvals, commit=verdict_commit, roles=roles, now=now, ttl=approval_ttl)
    summary = f"{needed}; has {counted.count}"
    if counted.count >= required:
        who = ", ".join(counted.counted)
        return GateJudgement("allowed", (f"{summary}: approved by {who}", *notes))
    details = [summary, *(f"not counted: {why}" for why in counted.ignored)]
    details.append(
        f"record one with: pyramid approve --by NAME --role ROLE (commit {verdict_commit})"
    )
    return GateJudgement("needs_approval", tuple(details))
