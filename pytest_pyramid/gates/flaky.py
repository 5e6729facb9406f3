"""Flaky tests and the quarantine list.

A test is flaky when it failed and then passed on a rerun (pytest-rerunfailures reports
``rerun`` outcomes; the core folds them into :attr:`TestOutcome.reruns`).

The ``tests.flaky`` gate defaults to level ``warn`` with threshold 0: a flaky test did pass in
the end, so its failure is first of all evidence about the test, not the product, and blocking
on it would teach teams to disable reruns instead of fixing tests. It is never silent though:
every flaky test is named in the verdict, and the quarantine list (owner + expiry) is where a
known-flaky test goes; an expired entry blocks (``tests.quarantine``, level ``block``), so
quarantine cannot become a place where tests are forgotten. Raise ``tests.flaky`` to
``approve`` or ``block`` in ``[tool.pyramid.gates]`` for a stricter policy.

Config::

    [[tool.pyramid.quarantine]]
    test = "tests/test_api.py::test_retry"   # a node id; also matches its parametrizations
    owner = "alice"                          # and, for a file/class id, the tests inside it
    expires = 2026-12-31                     # last day the entry is honoured (in UTC)
    reason = "upstream sandbox times out, JIRA-123"
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.results import GateResult, Level, OnMissing, record

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from pytest_pyramid.run.summary import TestOutcome

FLAKY_GATE = "tests.flaky"
QUARANTINE_GATE = "tests.quarantine"


def utc_today(now: float | None = None) -> dt.date:
    """The day quarantine expiry is judged on, and a proposed entry's expiry counted from: the
    UTC date of ``now`` (seconds since the epoch; the clock when None), never the machine's
    zone. One commit's entries then lapse at one moment on every runner: a zone's date would
    end an entry up to 14 hours early east of UTC and keep it up to 12 hours late west of it,
    so two runners of one tree could disagree on a release decision."""
    if now is None:
        from pytest_pyramid.durations import now as clock

        now = clock()  # bound before any test could freeze time.time (hostile case 200)
    return dt.datetime.fromtimestamp(now, dt.timezone.utc).date()


@record(frozen=True)
class QuarantineEntry:
    """One ``[[tool.pyramid.quarantine]]`` entry: a test excused until it expires."""

    test: str
    owner: str
    expires: dt.date
    reason: str

    def expired(self, today: dt.date) -> bool:
        """Past its last day; ``today`` is ``utc_today()``'s (the one clock of expiry)."""
        return today > self.expires

    def to_json(self) -> dict[str, str]:
        return {
            "test": self.test,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "reason": self.reason,
        }


def parse_quarantine(
    raw: Sequence[Mapping[str, Any]] | None, source: str
) -> tuple[QuarantineEntry, ...]:
    """``[[tool.pyramid.quarantine]]`` as the schema checked it (test, owner, expires, reason
    each given); ``expires`` must be a real date, and a test is quarantined once."""
    entries: list[QuarantineEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(raw or ()):
        key = f"quarantine[{index}]"
        expires = _parse_date(item["expires"], f"{key}.expires", source)
        test = str(item["test"]).strip()
        if test in seen:
            raise ConfigError(f"{key}.test", test, source, "this test is quarantined twice")
        seen.add(test)
        entries.append(
            QuarantineEntry(
                test=test,
                owner=str(item["owner"]).strip(),
                expires=expires,
                reason=str(item["reason"]).strip(),
            )
        )
    return tuple(entries)


def _parse_date(value: object, key: str, source: str) -> dt.date:
    # TOML dates arrive as date objects, which no JSON Schema type describes: checked here
    if isinstance(value, dt.datetime):
        raise ConfigError(key, value, source, "must be a date like 2026-12-31, without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(key, value, source, "required, a date like 2026-12-31")


def active_quarantine(
    settings_raw: Mapping[str, Any], source: str, today: dt.date
) -> frozenset[str]:
    """The quarantined node ids still honoured ``today`` (expired entries are not)."""
    entries = parse_quarantine(settings_raw.get("quarantine"), source)
    return frozenset(e.test for e in entries if not e.expired(today))


def quarantine_excuses(test: TestOutcome, quarantined: Iterable[str]) -> bool:
    """Whether a failed test's quarantine entry excuses its failure: the test's *own* (its
    call, its function-scoped fixtures), never the setup or teardown of a fixture of wider
    scope reported on it (hostile case 306: which test pytest reports a module fixture's
    teardown on is the order's choice, so excusing it would make routes disagree)."""
    return not test.fixture_failure and is_quarantined(test.nodeid, quarantined)


def is_quarantined(nodeid: str, quarantined: Iterable[str]) -> bool:
    """Whether ``nodeid`` is covered by a quarantine entry.

    An entry covers its exact node id, that test's parametrizations (``test_x[1]``) and, when it
    names a module or class, every test inside (``tests/a.py::TestC::test_x``).
    """
    for entry in quarantined:
        if nodeid == entry or nodeid.startswith((entry + "::", entry + "[")):
            return True
    return False


def flaky_tests(outcomes: Mapping[str, TestOutcome]) -> list[TestOutcome]:
    """Tests that failed at least once and passed on a rerun, in node id order."""
    return sorted(
        (o for o in outcomes.values() if o.reruns > 0 and o.outcome == "passed"),
        key=lambda o: o.nodeid,
    )


def flaky_gate(
    outcomes: Mapping[str, TestOutcome],
    *,
    threshold: int = 0,
    level: Level = "warn",
    quarantined: Iterable[str] = (),
    on_missing: OnMissing = "fail",
) -> GateResult:
    """``tests.flaky``: count of flaky tests not under an active quarantine, against a maximum.

    With no executed test there is no evidence either way: ``not_evaluated``, not "no flaky
    tests".
    """
    quarantined = tuple(quarantined)
    if not any(o.outcome != "skipped" for o in outcomes.values()):
        return GateResult(
            id=FLAKY_GATE, level=level, status="not_evaluated", actual=None,
            threshold=threshold, message="no test was executed, so none could be flaky",
            on_missing=on_missing,
        )
    flaky = flaky_tests(outcomes)
    counted = [o for o in flaky if not is_quarantined(o.nodeid, quarantined)]
    known = [o.nodeid for o in flaky if is_quarantined(o.nodeid, quarantined)]
    ok = len(counted) <= threshold
    if not counted:
        message = "no flaky tests"
    else:
        names = ", ".join(f"{o.nodeid} ({o.reruns} rerun{'s' if o.reruns != 1 else ''})"
                          for o in counted[:5])
        more = f" and {len(counted) - 5} more" if len(counted) > 5 else ""
        verb = "within" if ok else "over"
        message = f"{len(counted)} flaky test(s), {verb} the maximum of {threshold}: {names}{more}"
    if known:
        message += f"; {len(known)} quarantined flaky test(s) not counted"
    details: dict[str, object] = {
        "flaky": [{"nodeid": o.nodeid, "reruns": o.reruns, "tier": o.tier} for o in counted],
    }
    if known:
        details["quarantined"] = known
    return GateResult(
        id=FLAKY_GATE,
        level=level,
        status="pass" if ok else "fail",
        actual=len(counted),
        threshold=threshold,
        message=message,
        on_missing=on_missing,
        details=details,
    )


def quarantined_shares(
    tiers: Mapping[str, Iterable[str]], quarantined: Iterable[str]
) -> dict[str, tuple[int, int]]:
    """tier -> (tests under an active entry, tests of the tier), for the tiers with tests."""
    quarantined = tuple(quarantined)
    shares: dict[str, tuple[int, int]] = {}
    for tier, nodeids in tiers.items():
        names = tuple(nodeids)
        if names:
            shares[tier] = (sum(is_quarantined(n, quarantined) for n in names), len(names))
    return shares


def quarantine_cap(tests: int, max_share: float) -> int:
    """How many of a tier's ``tests`` may be quarantined: ``max_share`` of them, and at least
    one (a tier of 20 tests could otherwise quarantine none; a tier whose only passes are
    quarantined did not run, whatever its size)."""
    return max(1, math.floor(max_share * tests + 1e-9))


def _share_text(shares: Mapping[str, tuple[int, int]], max_share: float) -> tuple[str, list[str]]:
    """``quarantined: 1 (<= 2% of unit)`` and the tiers over the cap, named with their share."""
    used = {tier: pair for tier, pair in shares.items() if pair[0]}
    over = [f"{n} of {total} {tier} tests ({n / total:.1%})"
            for tier, (n, total) in used.items() if n > quarantine_cap(total, max_share)]
    if not used:
        return "quarantined: 0", over
    within = ", ".join(
        f"{n} (<= {max_share:.0%} of {tier})" if n / total <= max_share
        else f"{n} of {total} {tier} tests ({n / total:.0%}; {max_share:.0%} of a tier, or one)"
        for tier, (n, total) in used.items())
    return f"quarantined: {within}", over


def excused_failures(
    failed: Iterable[str], entries: Iterable[QuarantineEntry], today: dt.date
) -> list[tuple[str, QuarantineEntry]]:
    """Each failed test an active entry excuses, with that entry (the first that covers it)."""
    active = [e for e in entries if not e.expired(today)]
    found = []
    for nodeid in sorted(failed):
        entry = next((e for e in active if is_quarantined(nodeid, (e.test,))), None)
        if entry is not None:
            found.append((nodeid, entry))
    return found


def only_quarantined_passed(
    passed: Mapping[str, Iterable[str]], entries: Iterable[QuarantineEntry], today: dt.date
) -> list[str]:
    """Tiers whose passing tests are all quarantined: such a tier did not run (its passes
    are no evidence about the product, only about tests it was agreed not to trust)."""
    active = [e.test for e in entries if not e.expired(today)]
    return sorted(tier for tier, nodeids in passed.items()
                  if (names := list(nodeids)) and all(is_quarantined(n, active) for n in names))


def quarantine_gate(
    entries: Iterable[QuarantineEntry], today: dt.date, *, level: Level = "block",
    shares: Mapping[str, tuple[int, int]] | None = None, max_share: float = 0.02,
    untracked: str | None = None, failed: Iterable[str] = (),
    passed: Mapping[str, Iterable[str]] | None = None,
) -> GateResult:
    """``tests.quarantine``: fails, naming every entry, when any quarantine entry expired, and
    naming the tier when more than ``max_share`` of a tier's tests is quarantined (a
    quarantine that grows without bound is a suite nobody runs any more)."""
    entries = tuple(entries)
    expired = [e for e in entries if e.expired(today)]
    share_text, over = _share_text(shares or {}, max_share)
    problems: list[str] = [untracked] if untracked else []
    if expired:
        listing = "; ".join(
            f"{e.test} (owner {e.owner}, expired {e.expires.isoformat()}: {e.reason})"
            for e in expired
        )
        problems.append(
            f"{len(expired)} quarantine entr{'y' if len(expired) == 1 else 'ies'} expired, "
            f"fix the test or renew the entry: {listing}"
        )
    hollow = [] if untracked else only_quarantined_passed(passed or {}, entries, today)
    if hollow:
        problems.append(f"tier(s) {', '.join(hollow)} did not run: every test that passed there "
                        "is quarantined")
    if over:
        problems.append(f"over the cap of {max_share:.0%} of a tier ([tool.pyramid.flaky] "
                        f"max_share): {'; '.join(over)}")
    excused = [] if untracked else excused_failures(failed, entries, today)
    if problems:
        message = "; ".join(problems)
    else:
        noun = "entry" if len(entries) == 1 else "entries"
        message = f"{len(entries)} quarantine {noun}, none expired"
        if shares is not None:
            message += f"; {share_text}"
    if excused:
        message += "; failures excused: " + "; ".join(
            f"{nodeid} by the entry {e.test} (owner {e.owner}, until {e.expires.isoformat()})"
            for nodeid, e in excused)
    return GateResult(
        id=QUARANTINE_GATE,
        level=level,
        status="fail" if problems else "pass",
        actual=len(expired) + len(over) + bool(untracked) + len(hollow),
        threshold=0,
        message=message,
        details={
            "expired": [e.to_json() for e in expired],
            "active": [e.to_json() for e in entries if not e.expired(today)],
            "today": today.isoformat(),
            "shares": {tier: {"quarantined": n, "tests": total}
                       for tier, (n, total) in (shares or {}).items()},
            "max_share": max_share,
            "over_cap": over,
            "only_quarantined_passed": hollow,
            "excused": [{"nodeid": nodeid, "entry": e.to_json()} for nodeid, e in excused],
        },
    )


def flaky_section(
    outcomes: Mapping[str, TestOutcome], quarantined: Iterable[str] = ()
) -> list[dict[str, object]]:
    """The verdict's ``flaky`` list: every flaky test, quarantined or not."""
    quarantined = tuple(quarantined)
    return [
        {
            "nodeid": o.nodeid,
            "tier": o.tier,
            "reruns": o.reruns,
            "quarantined": is_quarantined(o.nodeid, quarantined),
        }
        for o in flaky_tests(outcomes)
    ]
