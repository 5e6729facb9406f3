"""What counts as evidence about a commit on this host (hostile cases 324, 325, 338, 332 d).

"Healthy" is an allow-list of judged outcomes, and the newest evidence decides:

* a ``succeeded`` row is a healthy deploy only when its analysis judged real traffic (the
  ``judged`` column, written by the code path that decided: deploy/rollout.py's Outcome); a
  first deployment nobody sent a request to ("too little traffic to judge"), a rollout a
  person promoted past its steps, a new version that took over from a dead stable one are
  not;
* the **last attempt** of the commit in a required environment decides, not any earlier
  success: staging rolling the same commit back (or aborting it, or failing it) on a
  redeploy after a healthy deploy contradicts that deploy;
* a verdict another gate of this host saw superseded (a newer verdict for the same commit,
  perhaps ``blocked``, at a required environment's gate) is superseded for this target too
  (:func:`required_folders`: deploy/replays.py reads their ``verdicts.jsonl``);
* a commit's date is its author's word: the lead time counts from the commit time bounded by
  the verdict's own time (the tests cannot have run before the commit), never negative.

Pure functions over history rows and verdicts; where the rows are found is
deploy/requirements.py's (the host locates a required environment's history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime, timedelta
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.history import Deployment
    from pytest_pyramid.deploy.trust_record import Required

#: the outcomes of an attempt to deploy the commit: a refusal (the gate said no, nothing
#: started), a dry run and ``unchanged`` (it already served) say nothing about how it ran
ATTEMPTS = ("in_progress", "paused", "succeeded", "rolled_back", "aborted", "failed")


@dataclass(frozen=True)
class Evidence:
    """What a required environment's history says of a commit: ``healthy`` only when its
    last attempt is a judged success within the window; ``said`` names that attempt."""

    healthy: bool
    said: str
    #: whether the environment attempted the commit at all
    attempted: bool = True


def last_attempt(rows: Sequence[Deployment], commit: str) -> Deployment | None:
    """The newest real attempt to deploy ``commit`` (None: never attempted)."""
    attempts = [row for row in rows if row.commit == commit and row.kind == "deploy"
                and not row.dry_run and row.outcome in ATTEMPTS]
    return max(attempts, key=lambda row: row.id, default=None)


def unjudged_why(row: Deployment) -> str | None:
    """Why a row is no judged success (None: it is one): an allow-list, so an outcome or a
    ``judged`` value this code did not write is never a pass."""
    if row.outcome != "succeeded":
        return row.outcome.replace("_", " ")
    if row.judged is None:
        return ("succeeded, recorded before judgements were (its history is migrated by the "
                "next pyramid command there)")
    if not row.judged:
        return "succeeded unjudged: its analysis did not judge real traffic"
    if row.reverted_by is not None:
        return f"reverted by #{row.reverted_by}"
    if row.finished_at is None:
        return "not finished"
    return None


def judged_healthy(rows: Sequence[Deployment], commit: str, now: datetime,
                   within: timedelta, environment: str = "") -> Evidence:
    """Whether ``rows`` (``environment``'s, in any order) hold a healthy deploy of ``commit``
    within ``within`` of ``now``: its last attempt is a judged success."""
    row = last_attempt(rows, commit)
    if row is None:
        return Evidence(False, f"{environment or 'it'} never deployed it", attempted=False)
    said = f"its last {environment + ' ' if environment else ''}attempt of it: #{row.id} " \
           f"{row.outcome}"
    why = unjudged_why(row)
    if why is not None:
        return Evidence(False, said if why == row.outcome.replace("_", " ")
                        else f"{said} ({why})")
    assert row.finished_at is not None
    if now - row.finished_at > within:
        return Evidence(False, f"{said} (finished {row.finished_at.isoformat()}, outside the "
                               "window)")
    return Evidence(True, said)


def required_folders(config: DeployConfig, recorded: tuple[Required, ...] = (),
                     roots: Sequence[Path] | None = None) -> list[Path]:
    """The folders of every environment this target requires (deploy/requirements.py:
    in_force, which locates their histories): the verdicts their gates saw lie beside their
    histories (``verdicts.jsonl``, deploy/replays.py), and a verdict superseded there is
    superseded here."""
    from pytest_pyramid.deploy.requirements import in_force

    return [need.history.parent for need in in_force(config, roots, recorded)
            if need.history is not None]


def lead_from(verdict: Mapping[str, object]) -> str | None:
    """The commit time a deployment's lead time counts from: the verdict's ``commit_time``
    (its author's word: a laptop's clock may run days ahead) bounded by the verdict's own
    ``created_at`` (the tests ran after the commit). None: no commit time."""
    from pytest_pyramid.deploy.history import iso, parse_iso

    commit_time = verdict.get("commit_time")
    if not isinstance(commit_time, str) or not commit_time:
        return None
    try:
        committed = parse_iso(commit_time)
    except ValueError:
        return None
    try:
        created = parse_iso(str(verdict.get("created_at")))
    except ValueError:
        return commit_time
    if committed.tzinfo is None or created.tzinfo is None:
        return commit_time
    return iso(min(committed, created))
