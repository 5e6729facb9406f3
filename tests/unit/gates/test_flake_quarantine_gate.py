"""``tests.quarantine`` (``gates/flaky.py``) with the ledger's truth rules: the cap, every
excused failure with its entry, a tier whose only passes are quarantined did not run, and an
untracked file's entries excuse nothing."""

from __future__ import annotations

import datetime as dt
from typing import cast

import pytest

from pytest_pyramid.gates.flaky import (
    QuarantineEntry,
    excused_failures,
    only_quarantined_passed,
    quarantine_gate,
    quarantined_shares,
)

TODAY = dt.date(2026, 12, 6)
ACTIVE = QuarantineEntry("tests/u.py::flaky", "@qa", dt.date(2027, 1, 1), "flaky")
MODULE = QuarantineEntry("tests/m.py", "@qa", dt.date(2027, 1, 1), "whole module")
EXPIRED = QuarantineEntry("tests/u.py::old", "@qa", dt.date(2026, 1, 1), "gone")
UNIT = [f"tests/u.py::t{i}" for i in range(49)] + ["tests/u.py::flaky"]


@pytest.mark.parametrize(
    ("nodeids", "entries", "expected"),
    [
        (UNIT, [ACTIVE], {"unit": (1, 50)}),
        (UNIT, [], {"unit": (0, 50)}),
        (["tests/m.py::a", "tests/m.py::b"], [MODULE.test], {"unit": (2, 2)}),
        ([], [ACTIVE], {}),
    ],
)
def test_quarantined_shares(nodeids: list[str], entries: list[object],
                            expected: dict[str, tuple[int, int]]) -> None:
    tests = [e.test if isinstance(e, QuarantineEntry) else str(e) for e in entries]
    assert quarantined_shares({"unit": nodeids}, tests) == expected


@pytest.mark.parametrize(
    ("shares", "max_share", "status", "text"),
    [
        ({"unit": (1, 50)}, 0.02, "pass", "quarantined: 1 (<= 2% of unit)"),
        ({"unit": (2, 50)}, 0.02, "fail", "2 of 50 unit tests (4.0%)"),
        ({"unit": (2, 50)}, 0.05, "pass", "quarantined: 2 (<= 5% of unit)"),
        ({"unit": (0, 50)}, 0.02, "pass", "quarantined: 0"),
        # a small tier may always quarantine one test, never two
        ({"unit": (1, 3)}, 0.02, "pass", "quarantined: 1 of 3 unit tests (33%; 2% of a tier"),
        ({"unit": (2, 3)}, 0.02, "fail", "2 of 3 unit tests (66.7%)"),
        ({"unit": (3, 100)}, 0.03, "pass", "quarantined: 3 (<= 3% of unit)"),
        ({"unit": (4, 100)}, 0.03, "fail", "4 of 100 unit tests (4.0%)"),
    ],
)
def test_the_cap(shares: dict[str, tuple[int, int]], max_share: float, status: str,
                 text: str) -> None:
    gate = quarantine_gate([ACTIVE], TODAY, shares=shares, max_share=max_share)
    assert gate.status == status
    assert text in gate.message


def test_every_excused_failure_is_listed_with_its_entry() -> None:
    failed = ["tests/u.py::flaky", "tests/m.py::x[1]", "tests/u.py::old", "tests/v.py::y"]
    pairs = excused_failures(failed, [ACTIVE, MODULE, EXPIRED], TODAY)
    assert [(n, e.test) for n, e in pairs] == [("tests/m.py::x[1]", "tests/m.py"),
                                               ("tests/u.py::flaky", "tests/u.py::flaky")]
    gate = quarantine_gate([ACTIVE, MODULE], TODAY, failed=failed)
    excused = cast("list[dict[str, object]]", gate.details["excused"])
    assert excused[1] == {"nodeid": "tests/u.py::flaky",
                                          "entry": ACTIVE.to_json()}
    assert "tests/m.py::x[1] by the entry tests/m.py (owner @qa, until 2027-01-01)" in (
        gate.message)


@pytest.mark.parametrize(
    ("passed", "expected"),
    [
        ({"unit": ["tests/u.py::flaky"]}, ["unit"]),
        ({"unit": ["tests/u.py::flaky", "tests/u.py::t1"]}, []),
        ({"unit": ["tests/m.py::a"], "e2e": ["tests/e.py::b"]}, ["unit"]),
        ({"unit": ["tests/u.py::old"]}, []),  # an expired entry quarantines nothing
        ({"unit": []}, []),
    ],
)
def test_a_tier_whose_only_passes_are_quarantined_did_not_run(
    passed: dict[str, list[str]], expected: list[str]
) -> None:
    entries = [ACTIVE, MODULE, EXPIRED]
    assert only_quarantined_passed(passed, entries, TODAY) == expected
    gate = quarantine_gate(entries[:2], TODAY, passed=passed)
    assert (gate.status == "fail") is bool(expected)
    if expected:
        assert f"tier(s) {', '.join(expected)} did not run" in gate.message


def test_entries_of_an_untracked_file_excuse_nothing() -> None:
    why = "the quarantine entries in p are not honoured: the file is not tracked by git"
    gate = quarantine_gate([ACTIVE], TODAY, untracked=why, failed=["tests/u.py::flaky"],
                           passed={"unit": ["tests/u.py::flaky"]})
    assert gate.status == "fail"
    assert gate.message == why
    assert gate.details["excused"] == []
