"""Proposals from the flake ledger, as edits of the project's tracked configuration (pure).

``pyramid flaky quarantine`` and ``pyramid flaky release`` never quarantine anything
themselves: they propose ``[[tool.pyramid.quarantine]]`` entries (owner from CODEOWNERS,
evidence run ids, rate, expiry) appended next to the hand-written ones, or the removal of an
entry, as a diff to review and commit. Only the committed file excuses a failure
(``gates/flaky.py``); a ledger on someone's disk never changes a release decision.

Who is proposed: a test the ledger proves ``flaky`` (a pass and a fail on one tree), that is
not broken, not new (seen in at least ``NEW_RUNS`` counted runs: a new test's contradiction
is "flaky on arrival", never quarantinable), has an owner, is not quarantined already, and
fits under the tier's ``max_share`` cap. Who is released: an entry whose test passed its
first attempt (and every attempt) in the last ``release_after`` counted runs.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_pyramid.gates.flakes import Policy, Standing, release_chance, wilson
from pytest_pyramid.gates.flaky import QuarantineEntry, is_quarantined, quarantine_cap

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

#: a test seen in fewer counted runs is new: its contradiction blocks as flaky on arrival
NEW_RUNS = 5
#: GitHub's places for the file, in the order it looks
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
MARK = "# proposed by `pyramid flaky quarantine` from the flake ledger"


# -- CODEOWNERS -----------------------------------------------------------------------------


def _pattern(pattern: str) -> re.Pattern[str]:
    """A CODEOWNERS (gitignore-style) pattern as a regular expression over a path."""
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    out = []
    index = 0
    while index < len(body):
        if body.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif body.startswith("**", index):
            out.append(".*")
            index += 2
        elif body[index] == "*":
            out.append("[^/]*")
            index += 1
        elif body[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(body[index]))
            index += 1
    head = "^" if anchored else "^(?:.*/)?"
    tail = "/.*$" if directory else "(?:/.*)?$"
    return re.compile(head + "".join(out) + tail)


def parse_codeowners(text: str) -> list[tuple[re.Pattern[str], list[str]]]:
    """The rules of a CODEOWNERS file, in file order (comments and blank lines dropped)."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.split(" #", 1)[0]  # an inline comment
        pattern, *owners = line.split()
        rules.append((_pattern(pattern), owners))
    return rules


def owner_of(path: str, rules: Sequence[tuple[re.Pattern[str], list[str]]]) -> str | None:
    """The owners of ``path``: the last matching rule wins (GitHub's rule); None if none does
    or the last match names nobody."""
    found: list[str] | None = None
    for pattern, owners in rules:
        if pattern.match(path):
            found = owners
    return " ".join(found) if found else None


# -- proposals ------------------------------------------------------------------------------


@dataclass
class Proposal:
    entry: QuarantineEntry
    evidence: list[str]
    rate: str


@dataclass
class Plan:
    """What ``pyramid flaky quarantine`` proposes, and whom it leaves out and why."""

    proposed: list[Proposal] = field(default_factory=list)
    #: node id -> why it is not proposed
    left_out: dict[str, str] = field(default_factory=dict)


def rate_text(standing: Standing) -> str:
    low, high = wilson(standing.first_failures, standing.runs)
    return (f"{standing.first_failures / standing.runs:.4f} (95% CI {low:.4f}-{high:.4f}; "
            f"{standing.first_failures}/{standing.runs} first attempts failed)")


def plan_quarantine(
    standings: Mapping[str, Standing],
    entries: Sequence[QuarantineEntry],
    tier_sizes: Mapping[str, int],
    owners: Sequence[tuple[re.Pattern[str], list[str]]],
    today: dt.date,
    policy: Policy,
) -> Plan:
    """Entries for every quarantinable flaky test, most flaky first, within the cap."""
    plan = Plan()
    quarantined = [e.test for e in entries if not e.expired(today)]
    used = {tier: sum(1 for s in standings.values() if s.tier == tier
                      and is_quarantined(s.nodeid, quarantined)) for tier in tier_sizes}
    flaky = sorted((s for s in standings.values() if s.status == "flaky"),
                   key=lambda s: (-(s.rate or 0.0), s.nodeid))
    for standing in flaky:
        reason = _left_out(standing, quarantined, used, tier_sizes, owners, policy)
        if reason:
            plan.left_out[standing.nodeid] = reason
            continue
        owner = owner_of(standing.nodeid.partition("::")[0], owners)
        assert owner is not None
        used[standing.tier] = used.get(standing.tier, 0) + 1
        rate = rate_text(standing)
        runs = ", ".join(standing.evidence)
        reason_text = (f"flaky: passed and failed on one tree (runs {runs}); "
                       f"first-attempt failure rate {rate}")
        plan.proposed.append(Proposal(
            QuarantineEntry(test=standing.nodeid, owner=owner,
                            expires=today + dt.timedelta(days=policy.expires_days),
                            reason=reason_text),
            evidence=list(standing.evidence), rate=rate))
    for standing in standings.values():
        if standing.status == "broken" and not is_quarantined(standing.nodeid, quarantined):
            plan.left_out[standing.nodeid] = (
                "broken (failed its last attempts with no pass since): fix it, a broken test "
                "is never quarantined")
    return plan


def _left_out(
    standing: Standing, quarantined: Sequence[str], used: Mapping[str, int],
    tier_sizes: Mapping[str, int], owners: Sequence[tuple[re.Pattern[str], list[str]]],
    policy: Policy,
) -> str | None:
    if is_quarantined(standing.nodeid, quarantined):
        return "already quarantined"
    if standing.runs < NEW_RUNS:
        return (f"new: {standing.runs} counted run(s), fewer than {NEW_RUNS}; flaky on arrival "
                "is fixed before merging, never quarantined")
    if owner_of(standing.nodeid.partition("::")[0], owners) is None:
        return "no owner: no CODEOWNERS line matches its file"
    size = tier_sizes.get(standing.tier, 0)
    if size and used.get(standing.tier, 0) + 1 > quarantine_cap(size, policy.max_share):
        return (f"over the cap: another entry would quarantine more than {policy.max_share:.0%} "
                f"of the {size} {standing.tier} tests ([tool.pyramid.flaky] max_share)")
    return None


@dataclass
class Release:
    entry: QuarantineEntry
    clean_runs: int
    #: the chance a test still flaky at 5% passes that many runs in a row
    chance_at_5: float


def plan_release(
    standings: Mapping[str, Standing], entries: Sequence[QuarantineEntry], policy: Policy
) -> tuple[list[Release], dict[str, str]]:
    """Entries proven clean (``release_after`` clean runs in a row), and why others are not."""
    released: list[Release] = []
    waiting: dict[str, str] = {}
    for entry in entries:
        mine = [s for s in standings.values() if is_quarantined(s.nodeid, [entry.test])]
        clean = min((s.clean_streak for s in mine), default=0)
        if mine and clean >= policy.release_after:
            released.append(Release(entry, clean, release_chance(0.05, clean)))
        else:
            waiting[entry.test] = (f"{clean} clean run(s) in a row of the "
                                   f"{policy.release_after} release_after asks")
    return released, waiting


# -- the file edits -------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    # a JSON string is a TOML basic string when no character needs a \u escape outside the
    # control range (ensure_ascii off: no surrogate-pair escapes, which TOML refuses)
    return json.dumps(text, ensure_ascii=False)


def entry_block(proposal: Proposal, header: str, today: dt.date) -> str:
    entry = proposal.entry
    evidence = ", ".join(_toml_string(r) for r in proposal.evidence)
    return (f"\n{header}\n{MARK} on {today.isoformat()}\n"
            f"test = {_toml_string(entry.test)}\n"
            f"owner = {_toml_string(entry.owner)}\n"
            f"expires = {entry.expires.isoformat()}\n"
            f"reason = {_toml_string(entry.reason)}\n"
            f"evidence = [{evidence}]\n"
            f"rate = {_toml_string(proposal.rate)}\n")


def header_for(source: str) -> str:
    """The array-of-tables header of a quarantine entry in this project file."""
    return "[[quarantine]]" if source.endswith("pyramid.toml") else "[[tool.pyramid.quarantine]]"


def with_proposals(text: str, proposals: Iterable[Proposal], header: str,
                   today: dt.date) -> str:
    """The file's text with the proposals appended (array-of-tables may come last)."""
    blocks = "".join(entry_block(p, header, today) for p in proposals)
    if not blocks:
        return text
    return (text if text.endswith("\n") or not text else text + "\n") + blocks


def without_entries(
    text: str, tests: Iterable[str], header: str, parse: Callable[[str], str | None]
) -> str:
    """The file's text with the quarantine blocks of ``tests`` removed: a block is its header
    line up to the next table header. ``parse(block_text) -> test`` reads a block's test."""
    gone = set(tests)
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != header:
            out.append(lines[index])
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].lstrip().startswith("["):
            end += 1
        block = "".join(lines[index:end])
        test = parse(block)
        if test not in gone:
            out.append(block)
        elif out and not out[-1].strip():
            out.pop()  # the blank line the block was appended after
        elif out and out[-1].endswith("\n\n"):
            out[-1] = out[-1][:-1]  # ... kept at the end of the block before it
        index = end
    return "".join(out)


def unified(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))
