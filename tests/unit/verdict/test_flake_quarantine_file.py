"""Proposals from the ledger as edits of the tracked configuration
(``verdict/quarantine_file.py``): CODEOWNERS, who is proposed and who never is, the cap,
release on proof, and the TOML edits read back by the project's own loader."""

from __future__ import annotations

import datetime as dt

import pytest

from pytest_pyramid.gates.flakes import Policy, Standing
from pytest_pyramid.gates.flaky import QuarantineEntry, parse_quarantine
from pytest_pyramid.project import table_from_text
from pytest_pyramid.verdict.quarantine_file import (
    NEW_RUNS,
    owner_of,
    parse_codeowners,
    plan_quarantine,
    plan_release,
    with_proposals,
    without_entries,
)

TODAY = dt.date(2026, 12, 6)
CODEOWNERS = """
# comments and blank lines are not rules
*                   @everyone
/tests/unit/        @unit-team
tests/api/*.py      @api-team   # an inline comment
docs/               @docs
**/test_pay*.py     @payments
/tests/orphans/
"""


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("tests/unit/test_a.py", "@unit-team"),
        ("tests/unit/deep/test_b.py", "@unit-team"),
        ("tests/api/test_c.py", "@api-team"),
        ("tests/api/deep/test_c.py", "@everyone"),  # * does not cross a folder
        ("tests/unit/test_payment.py", "@payments"),  # the last matching rule wins
        ("tests/orphans/test_d.py", None),  # the last match names nobody
        ("README.md", "@everyone"),
        ("sub/docs/x.md", "@docs"),  # an unanchored folder matches anywhere
    ],
)
def test_codeowners_last_match_wins(path: str, owner: str | None) -> None:
    assert owner_of(path, parse_codeowners(CODEOWNERS)) == owner


def test_no_codeowners_no_owner() -> None:
    assert owner_of("tests/test_a.py", parse_codeowners("")) is None


def _standing(nodeid: str, status: str = "flaky", *, runs: int = 20, failures: int = 2,
              tier: str = "unit", clean: int = 0) -> Standing:
    return Standing(nodeid=nodeid, tier=tier, status=status, runs=runs,
                    first_failures=failures, evidence=["r3", "r9"], clean_streak=clean)


OWNERS = parse_codeowners("/tests/ @team\n/tests/unowned/\n")


def _plan(standings: list[Standing], entries: tuple[QuarantineEntry, ...] = (),
          sizes: dict[str, int] | None = None, policy: Policy | None = None) -> tuple[
              list[str], dict[str, str]]:
    plan = plan_quarantine({s.nodeid: s for s in standings}, entries,
                           sizes or {"unit": 100}, OWNERS, TODAY, policy or Policy())
    return [p.entry.test for p in plan.proposed], plan.left_out


def test_a_proven_flaky_test_is_proposed_with_owner_evidence_rate_and_expiry() -> None:
    plan = plan_quarantine({"tests/a.py::t": _standing("tests/a.py::t")}, (), {"unit": 100},
                           OWNERS, TODAY, Policy(expires_days=14))
    (proposal,) = plan.proposed
    assert proposal.entry.owner == "@team"
    assert proposal.entry.expires == dt.date(2026, 12, 20)
    assert proposal.evidence == ["r3", "r9"]
    assert proposal.rate.startswith("0.1000 (95% CI 0.0279-0.3010; 2/20")
    assert "runs r3, r9" in proposal.entry.reason


@pytest.mark.parametrize(
    ("standing", "why"),
    [
        (_standing("tests/a.py::t", "broken"), "broken"),
        (_standing("tests/a.py::t", "failing"), None),  # not proven: neither proposed nor named
        (_standing("tests/a.py::t", "stable", failures=0), None),
        (_standing("tests/a.py::t", runs=NEW_RUNS - 1), "new:"),
        (_standing("tests/unowned/a.py::t"), "no owner"),
        (_standing("other/a.py::t"), "no owner"),
    ],
)
def test_who_is_never_proposed(standing: Standing, why: str | None) -> None:
    proposed, left_out = _plan([standing])
    assert proposed == []
    if why is None:
        assert standing.nodeid not in left_out
    else:
        assert left_out[standing.nodeid].startswith(why)


def test_an_already_quarantined_test_is_not_proposed_again() -> None:
    entry = QuarantineEntry("tests/a.py", "@x", dt.date(2027, 1, 1), "known")  # its module
    proposed, left_out = _plan([_standing("tests/a.py::t")], (entry,))
    assert proposed == []
    assert left_out["tests/a.py::t"] == "already quarantined"


def test_the_cap_stops_proposals_most_flaky_first() -> None:
    tests = [_standing(f"tests/a.py::t{i}", failures=i + 1) for i in range(4)]
    proposed, left_out = _plan(tests, sizes={"unit": 100}, policy=Policy(max_share=0.02))
    assert proposed == ["tests/a.py::t3", "tests/a.py::t2"]  # 2 of 100 = the 2% cap
    assert left_out["tests/a.py::t1"].startswith("over the cap")
    # an expired entry does not count against the cap; an active one does
    active = QuarantineEntry("tests/b.py::x", "@x", dt.date(2027, 1, 1), "known")
    expired = QuarantineEntry("tests/c.py::y", "@x", dt.date(2026, 1, 1), "known")
    both = [*tests, _standing("tests/b.py::x", "stable", failures=0),
            _standing("tests/c.py::y", "stable", failures=0)]
    assert _plan(both, (active,))[0] == ["tests/a.py::t3"]
    assert _plan(both, (expired,))[0] == ["tests/a.py::t3", "tests/a.py::t2"]


@pytest.mark.parametrize(("clean", "released"), [(58, False), (59, True), (80, True)])
def test_release_after_consecutive_clean_runs(clean: int, released: bool) -> None:
    entry = QuarantineEntry("tests/a.py::t", "@x", dt.date(2027, 1, 1), "known")
    done, waiting = plan_release({"tests/a.py::t": _standing("tests/a.py::t", clean=clean)},
                                 (entry,), Policy())
    assert bool(done) is released
    if released:
        assert done[0].chance_at_5 == pytest.approx(0.95 ** clean)
    else:
        assert waiting["tests/a.py::t"].startswith(f"{clean} clean run(s)")


def test_an_entry_the_ledger_never_saw_is_not_released() -> None:
    entry = QuarantineEntry("tests/gone.py::t", "@x", dt.date(2027, 1, 1), "known")
    done, waiting = plan_release({}, (entry,), Policy())
    assert done == []
    assert "tests/gone.py::t" in waiting


PYPROJECT = """[tool.pytest.ini_options]
addopts = "-q"

[tool.pyramid]
default_tier = "unit"

[[tool.pyramid.quarantine]]
test = "tests/hand.py::t"   # hand-written
owner = "@me"
expires = 2027-02-01
reason = "by hand"
"""


@pytest.mark.parametrize(("name", "header"), [("pyproject.toml", "[[tool.pyramid.quarantine]]"),
                                              ("pyramid.toml", "[[quarantine]]")])
def test_proposals_append_and_release_removes_exactly_their_blocks(name: str,
                                                                   header: str) -> None:
    text = PYPROJECT if name == "pyproject.toml" else (
        'default_tier = "unit"\n\n[[quarantine]]\ntest = "tests/hand.py::t"\nowner = "@me"\n'
        'expires = 2027-02-01\nreason = "by hand"\n')
    nodeid = 'tests/a.py::t["quo\\te" ü]'
    plan = plan_quarantine({nodeid: _standing(nodeid)}, (), {"unit": 10}, OWNERS, TODAY,
                           Policy(max_share=0.5))
    after = with_proposals(text, plan.proposed, header, TODAY)
    assert after.startswith(text)
    table = table_from_text(after, name)
    assert table is not None
    entries = parse_quarantine(table["quarantine"], name)
    assert [e.test for e in entries] == ["tests/hand.py::t", nodeid]
    assert table["quarantine"][1]["evidence"] == ["r3", "r9"]

    def test_of(block: str) -> str | None:
        found = (table_from_text(block, name) or {}).get("quarantine") or [{}]
        test = found[0].get("test")
        return None if test is None else str(test)

    assert without_entries(after, [nodeid], header, test_of) == text
    hand_gone = without_entries(after, ["tests/hand.py::t"], header, test_of)
    left = parse_quarantine((table_from_text(hand_gone, name) or {})["quarantine"], name)
    assert [e.test for e in left] == [nodeid]
