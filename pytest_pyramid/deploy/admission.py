"""Whether a deploy command may act on a verdict: the one trust entry point
(:func:`pytest_pyramid.verdict.trust.assess`) asked under the deploy's anchors, against what
ships (the commit's own tree, a clean checkout), then what only a deploy adds on top.

``pyramid deploy`` and ``pyramid approve`` both come here: an approval is a person vouching
for a verdict, so it is never signed for a verdict the gate would refuse on trust (forged,
edited after signing, for another tree, stale, dirty) or on its decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from pytest_pyramid.deploy.anchors import Anchors
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.verdict.trust import Trust


def assess_for_deploy(config: DeployConfig, anchors: Anchors, commit: str,
                      now: datetime) -> Trust:
    """:func:`~pytest_pyramid.verdict.trust.assess` of ``config.verdict`` for ``commit`` (a
    full SHA of the repository at ``config.root``) under ``anchors``.

    Raises what ``assess`` raises (``VerdictError``, ``TrustError``, ``SignatureError``); each
    command says what those mean for it."""
    from pytest_pyramid.verdict import provenance
    from pytest_pyramid.verdict.trust import Target, TrustRequest, assess, project_of

    return assess(TrustRequest(
        verdict=Path(config.verdict),
        max_age_s=config.max_age,
        require_signature=anchors.require_signature,
        key_sources=tuple(anchors.trusted_keys),
        key_origin=f"trusted_keys of {anchors.origin}",
        # What ships is the commit's own tree (a clean checkout): what must be tested, by
        # this project's own run (a monorepo's projects share the commit).
        target=Target(commit, provenance.commit_tree(config.root, commit), worktree=False,
                      description=commit[:12], in_git=True, project=project_of(config.root)),
        now=now,
    ))
