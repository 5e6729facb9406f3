"""The deploy gate: may this verdict send this commit to production now?

The trust is judged by :func:`pytest_pyramid.verdict.trust.assess`, the entry point ``pyramid
check`` also calls, with one difference of target: what deploy ships is the commit itself (a
clean checkout, see ``releases.py``), so the verdict must have tested *that commit's tree*,
never the working tree. This module adds what only a deploy needs on top of that answer: a
verdict from a dirty tree tested other code and is always refused, the decision must allow a
deploy, and a ``needs_approval`` verdict needs signed approvals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_pyramid.deploy.approvals import Standing
    from pytest_pyramid.verdict.trust import Trust

GateOutcome = Literal["allowed", "refused", "needs_approval"]

__all__ = ["GateJudgement", "judge", "refusals"]


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
    trust: Trust,
    *,
    approvals: Sequence[Standing] = (),
    deployer_problem: str | None = None,
    contract: Sequence[str] = (),
    approval_needed: bool = False,
    environment: str = "",
) -> GateJudgement:
    """Judge what :func:`~pytest_pyramid.verdict.trust.assess` found; every refusal reason is
    listed, not only the first. ``approvals``: every approval requirement in force
    (deploy/requirements.py: approvals_in_force) with what counts for it (deploy/approvals.py:
    tally_each); each must hold on its own. ``deployer_problem``: why the deployer could not
    be identified (approvals then cannot be told apart from the deployer's own).
    ``contract``: the release's pending migrations declared not backward-compatible; they
    raise a ``ready`` verdict to needing approvals. ``approval_needed``: the deploy target
    asks approvals of a ``ready`` verdict too. ``environment``: the deploy target's, named in
    the hint to sign an approval (an approval is for one environment's deploy)."""
    verdict, policy = trust.verdict, trust.policy
    refused = refusals(trust)
    notes: list[str] = []
    if trust.envelope is not None and not policy.trusted_keys:
        notes.append("WARNING: the verdict carries a signature, but no trusted_keys are "
                     "configured, so it was not verified")
    decision = verdict.get("decision")
    if (decision == "needs_approval" or approval_needed) and deployer_problem:
        refused.append(deployer_problem)
        # what asks the approvals, so the refusal says why a deployer must be identified
        refused.extend(f"approvals asked: {s.asked.sentence}" for s in approvals)
    elif contract and deployer_problem:
        refused.append(f"contract migration {', '.join(contract)} (-- pyramid: contract) needs "
                       f"approval, so the deployer must be identified: {deployer_problem}")
    if refused:
        return GateJudgement("refused", tuple(refused))
    if decision == "ready" and not contract and not approval_needed:
        return GateJudgement("allowed", ("verdict is ready, fresh, and for this commit", *notes))
    # needs_approval (for whatever gate asked, or its target asks) or a contract migration:
    # never fewer than one approval, and never judged without a requirement
    standings = tuple(approvals) or (_unapproved(trust, contract),)
    if all(s.missing == 0 for s in standings):
        return GateJudgement("allowed", (*(s.summary() for s in standings), *notes))
    details = [s.summary() for s in standings]
    short = [s for s in standings if s.missing]
    details.extend(s.shortfall() for s in short)
    ignored = (why for s in short for why in s.tally.ignored)
    details.extend(f"not counted: {why}" for why in dict.fromkeys(ignored))
    env = f" --env {environment}" if environment else ""
    details.append(f"sign one with: pyramid approve{env} --key YOUR_PRIVATE_KEY --role ROLE "
                   f"(commit {str(verdict.get('commit'))[:12]})")
    return GateJudgement("needs_approval", tuple(details))


def refusals(trust: Trust) -> list[str]:
    """Every reason no approval can make this verdict deployable: what the trust entry point
    found, a dirty verdict (whatever the policy says, see the module doc) and a decision that
    allows no deploy. ``pyramid approve`` refuses to sign for the same reasons."""
    verdict, policy = trust.verdict, trust.policy
    found = list(trust.problems)
    if verdict.get("dirty") and policy.allow_dirty:
        found.append("the verdict was produced from a working tree with changes not in its "
                     "commit: deploy ships the commit, never a dirty verdict")
    decision = verdict.get("decision")
    raw_reasons = verdict.get("reasons")
    reasons = [str(r) for r in raw_reasons] if isinstance(raw_reasons, list) else []
    if decision in ("blocked", "incomplete"):
        detail = f": {'; '.join(reasons[:3])}" if reasons else ""
        found.append(f"the verdict decision is {decision}{detail}")
    return found


def _unapproved(trust: Trust, contract: Sequence[str]) -> Standing:
    from pytest_pyramid.deploy.approvals import Standing, Tally
    from pytest_pyramid.deploy.requirements import verdict_asks

    return Standing(verdict_asks(trust, contract), Tally(counted=()))
