"""The deploy gate: may this verdict send this commit to production now?

The trust rules are :mod:`pytest_pyramid.verdict.trust`'s, the same ``pyramid check`` uses,
with one difference of target: what deploy ships is the commit itself (a clean checkout, see
``releases.py``), so the verdict must have tested *that commit's tree*, never the working
tree. A verdict from a dirty tree tested other code and is always refused. This module adds
what only a deploy needs: signed approvals for a ``needs_approval`` verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pytest_pyramid.verdict.decision import approvals_needed
from pytest_pyramid.verdict.trust import TrustPolicy, same_commit, trust_problems

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pytest_pyramid.deploy.approvals import Tally
    from pytest_pyramid.verdict.trust import Target

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
    verdict: Mapping[str, object],
    *,
    target: Target,
    policy: TrustPolicy,
    now: datetime,
    envelope: object | None = None,
    approvals: Tally | None = None,
    deployer_problem: str | None = None,
) -> GateJudgement:
    """Judge an already schema-valid verdict; every refusal reason is listed, not only the
    first. ``deployer_problem``: why the deployer could not be identified (approvals then
    cannot be told apart from the deployer's own)."""
    # Deploy never accepts a dirty verdict, whatever the policy says (see the module doc).
    strict = TrustPolicy(allow_dirty=False, max_age_s=policy.max_age_s,
                         require_signature=policy.require_signature,
                         trusted_keys=policy.trusted_keys)
    refusals = trust_problems(verdict, target=target, policy=strict, envelope=envelope, now=now)
    notes: list[str] = []
    if envelope is not None and not policy.trusted_keys:
        notes.append("WARNING: the verdict carries a signature, but no trusted_keys are "
                     "configured, so it was not verified")
    decision = verdict.get("decision")
    raw_reasons = verdict.get("reasons")
    reasons = [str(r) for r in raw_reasons] if isinstance(raw_reasons, list) else []
    if decision in ("blocked", "incomplete"):
        detail = f": {'; '.join(reasons[:3])}" if reasons else ""
        refusals.append(f"the verdict decision is {decision}{detail}")
    if decision == "needs_approval" and deployer_problem:
        refusals.append(deployer_problem)
    if refusals:
        return GateJudgement("refused", tuple(refusals))
    if decision == "ready":
        return GateJudgement("allowed", ("verdict is ready, fresh, and for this commit", *notes))
    # needs_approval, for whatever gate asked: never fewer than one approval
    required, _, needed = approvals_needed(verdict)
    counted = approvals or _no_approvals()
    summary = f"{needed}; has {counted.count}"
    if counted.count >= required:
        who = ", ".join(counted.counted)
        return GateJudgement("allowed", (f"{summary}: approved by {who}", *notes))
    details = [summary, *(f"not counted: {why}" for why in counted.ignored)]
    details.append(f"sign one with: pyramid approve --key YOUR_PRIVATE_KEY --role ROLE "
                   f"(commit {str(verdict.get('commit'))[:12]})")
    return GateJudgement("needs_approval", tuple(details))


def _no_approvals() -> Tally:
    from pytest_pyramid.deploy.approvals import Tally

    return Tally(counted=())
