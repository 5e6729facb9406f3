"""The last good release: the one rule every way back and the limits anchor ask.

Hostile cases 422, 424 and 425: "the last good release" was asked in several places, each by
its own rule (the rollback target by the history's outcome only, the limits anchor by
"succeeded", reverted or not, a stuck rollout with a dead stable not at all). Here it is one
rule: a deployment (not a dry run) that **succeeded**, was **not reverted since**, and whose
commit the **host's newest evidence still vouches for** (the newest verdict any gate of this
target, or of an environment it requires, saw for that commit is ``ready``: a nightly run
that found the serving commit ``blocked`` withdraws it as a way back, as the gate withdraws
its old verdict, deploy/replays.py: superseded). What a caller adds (a release folder to start
it from, judged on real traffic, before the serving deployment) is its ``accept``.

The rule is pure (:func:`last_good`); :func:`newest_decisions` folds the verdicts the host's
gates saw, which deploy/replays.py: host_seen reads as the gate reads them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_pyramid.deploy.history import parse_iso

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from datetime import datetime

    from pytest_pyramid.deploy.history import Deployment

#: the one decision by which a verdict vouches for its commit
VOUCHING = "ready"


@dataclass(frozen=True)
class Pick:
    """The last good release of a history (None: there is none) and, newest first, why each
    newer candidate that was otherwise good was passed over (for the output)."""

    row: Deployment | None
    passed_over: tuple[str, ...] = ()


def good(row: Deployment) -> bool:
    """A deployment that made its commit serve and was not undone since."""
    return (row.kind == "deploy" and not row.dry_run and row.outcome == "succeeded"
            and row.reverted_by is None and bool(row.commit))


def newest_decisions(seen: Iterable[Mapping[str, str]]) -> dict[str, tuple[datetime, str]]:
    """Each commit's newest verdict seen (by its ``created_at``): when, and its decision. A
    verdict with no readable ``created_at`` is no evidence either way."""
    newest: dict[str, tuple[datetime, str]] = {}
    for item in seen:
        commit = item.get("commit") or ""
        with contextlib.suppress(ValueError, TypeError):
            created = parse_iso(item.get("created_at", ""))
            if commit and (commit not in newest or created > newest[commit][0]):
                newest[commit] = (created, item.get("decision", ""))
    return newest


def withdrawn(commit: str, newest: Mapping[str, tuple[datetime, str]]) -> str | None:
    """Why the host's newest evidence no longer vouches for ``commit`` (None: it does, or
    no gate here judged it again: the deploy's own gate accepted it)."""
    found = newest.get(commit)
    if found is None or found[1] == VOUCHING:
        return None
    return (f"{commit[:12]}'s newest verdict (created {found[0].isoformat()}) is "
            f"{found[1] or 'undecided'}, not {VOUCHING}")


def last_good(rows: Sequence[Deployment], newest: Mapping[str, tuple[datetime, str]], *,
              accept: Callable[[Deployment], bool] = lambda _row: True) -> Pick:
    """The newest of ``rows`` that is :func:`good`, ``accept``ed and still vouched for."""
    passed: list[str] = []
    for row in sorted(rows, key=lambda d: d.id, reverse=True):
        if not good(row) or not accept(row):
            continue
        why = withdrawn(str(row.commit), newest)
        if why is None:
            return Pick(row, tuple(passed))
        passed.append(f"history #{row.id}: {why}")
    return Pick(None, tuple(passed))
