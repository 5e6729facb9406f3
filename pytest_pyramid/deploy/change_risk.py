"""The deploy's risk gate: the change a release makes against what its target serves.

Hostile case 462: the verdict's risk is the tree against the merge base of ``[tool.pyramid.
risk] base`` and HEAD. CI on main after a merge has ``main`` = HEAD: an empty change, risk
low, ``ready``, and the schema migration the branch's own verdict held for two approvals
shipped with none. What reaches users is the change from the release the target serves to the
deployed commit, whatever base the run chose. So the gate assesses that change itself, with
the one pure assessment the plugin's gate runs (gates/risk.py: assess, risk_gate), under the
rules the deploy is judged by (``config.risk``: the commit's, anchored to the last good
release's where it loosens them, deploy/arguments.py: anchored_risk, hostile case 463), and
asks the approvals of the larger of its level and the verdict's own. A verdict assessed
against the deployed commit itself assessed no change: its level does not count.

What serves is the service's last good release (deploy/service_places.py: limits_commit, the
commit the limits are anchored to). A first deploy (nothing served yet) ships the whole tree:
its change is every file of the commit against the empty tree, judged by the same rule, so a
first release carrying a schema migration asks the approvals a migration asks. A change git
cannot tell (the serving commit is not in this repository) is unknown: the ``high`` row.

The gate runs where the project assesses risk: its table (or the serving release's) has
``[tool.pyramid.risk]`` or ``[tool.pyramid.approvals]``, or the verdict's risk section was
assessed against the deployed commit itself (a base given only by the environment). One
function for the deploy gate and ``pyramid approve`` (deploy/requirements.py:
approvals_in_force).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_pyramid.deploy.approvals import Asked
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.gates.risk import RiskAssessment, RiskSettings
    from pytest_pyramid.verdict.trust import Trust

#: who asks, in the gate's output
BY = "the deploy's risk gate (the change against what the target serves)"


def risk_asks(config: DeployConfig, trust: Trust) -> tuple[Asked, ...]:
    """The approvals the shipped change asks (none, or one requirement), beside the verdict's:
    never a second copy of what the verdict already asks."""
    from pytest_pyramid.deploy.approvals import Asked
    from pytest_pyramid.gates.risk import (
        assessed_level,
        at_deploy,
        checked_risk,
        empty_change,
        risk_gate,
    )

    commit = trust.target.commit or ""
    verdict_risk = trust.verdict.get("risk")
    settings = checked_risk(config.risk, config.source)
    if trust.problems or not commit or not (settings.enabled
                                            or empty_change(verdict_risk, commit)):
        return ()  # refused whatever it asks, or a project that does not assess risk
    level = assessed_level(verdict_risk, commit)
    judged = at_deploy(shipped_change(config, commit, settings), level, settings)
    result = risk_gate(judged, settings)
    if result.status == "pass":
        return ()
    required, roles = max(1, judged.required_approvals), judged.approver_roles
    if trust.verdict.get("decision") == "needs_approval" and (
            trust.approvals.required, set(trust.approvals.roles)) == (required, set(roles)):
        return ()  # the verdict's own requirement asks the same
    raised = (f" (raised to the verdict's own assessment, {level})"
              if level is not None and judged.level == level and level != result.actual
              else "")
    who = f" from {', '.join(roles)}" if roles else " (any approver)"
    return (Asked(required, roles, f"needs {required} approval(s){who}: the change against "
                  f"what the target serves, {result.message}{raised}", BY),)


def shipped_change(config: DeployConfig, commit: str, settings: RiskSettings
                   ) -> RiskAssessment:
    """The change from what the target serves to ``commit``, assessed under ``settings``."""
    from pytest_pyramid.deploy.service_places import limits_commit
    from pytest_pyramid.gates.risk import assess, changed_files, unavailable
    from pytest_pyramid.run.changes import between

    serving = limits_commit(config)
    base = (f"{serving[:12]}, which the target serves" if serving
            else "nothing served yet (a first deploy: the whole tree)")
    changes = between(config.root, serving, commit)
    if changes.reason is not None:
        return unavailable(settings, base, changes.reason)
    return assess(changed_files(changes), settings, base=base, merge_base=serving)
