"""Which recorded approvals count for a verdict: distinct people, allowed roles, not expired."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


@dataclass(frozen=True)
class Approval:
    who: str
    role: str
    commit: str
    at: datetime


@dataclass(frozen=True)
class Tally:
    """The people whose approval counts, and why the others do not."""

    counted: tuple[str, ...]
    ignored: tuple[str, ...] = field(default=())

    @property
    def count(self) -> int:
        return len(self.counted)


def person_key(who: str) -> str:
    """One person, however they typed their name: ``Alice`` and `` alice `` are the same."""
    return " ".join(who.split()).casefold()


def tally(
    approvals: Iterable[Approval],
    *,
    commit: str,
    roles: Sequence[str],
    now: datetime,
    ttl: timedelta,
) -> Tally:
    """Count each person once, for this commit, in an allowed role, approved within ``ttl``.

    An empty ``roles`` list means any role may approve.
    """
    counted: dict[str, str] = {}
    ignored: list[str] = []
    allowed = {role.casefold() for role in roles}
    for approval in sorted(approvals, key=lambda a: a.at):
        key = person_key(approval.who)
        label = f"{approval.who} ({approval.role})"
        if approval.commit != commit:
            ignored.append(f"{label}: approved another commit {approval.commit[:12]}")
        elif allowed and approval.role.casefold() not in allowed:
            ignored.append(f"{label}: role not in {', '.join(roles)}")
        elif now - approval.at > ttl:
            ignored.append(f"{label}: expired (approved {approval.at.isoformat()})")
        elif approval.at - now > timedelta(minutes=5):
            ignored.append(f"{label}: approval time is in the future")
        elif key in counted:
            ignored.append(f"{label}: already counted once")
        else:
            counted[key] = label
    return Tally(counted=tuple(counted.values()), ignored=tuple(ignored))
