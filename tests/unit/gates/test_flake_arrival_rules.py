"""Flaky on arrival, the rules: the bound, the attempts it takes, the contradiction table,
the gate's statuses and the record's shape (pure functions, no pytest run)."""

from __future__ import annotations

import pytest

from pytest_pyramid.gates.arrival import arrival_gate, judge
from pytest_pyramid.run.arrival import (
    PROPERTY,
    Arrival,
    ArrivalSettings,
    arrival_of,
    arrival_problem,
    arrives,
    attempts_needed,
    conftest_folders,
    new_to_ledger,
    upper_bound,
)
from pytest_pyramid.run.summary import TestOutcome
from pytest_pyramid.verdict.records import record


@pytest.mark.parametrize(("bound", "attempts"), [(0.1, 29), (0.05, 59), (0.5, 5), (0.01, 299)])
def test_attempts_needed_is_the_fewest_whose_bound_is_low_enough(bound: float,
                                                                  attempts: int) -> None:
    assert attempts_needed(bound) == attempts
    assert upper_bound(attempts) <= bound < upper_bound(attempts - 1)


def test_nothing_observed_bounds_nothing() -> None:
    assert upper_bound(0) == 1.0
    assert upper_bound(-1) == 1.0


def outcome(final: str, repeats: int, failed: int, reruns: int = 0,
            skipped: int = 0) -> TestOutcome:
    test = TestOutcome("tests/test_a.py::test_a", "unit", final)  # type: ignore[arg-type]
    test.arrival, test.reruns = Arrival(repeats, failed, skipped), reruns
    return test


@pytest.mark.parametrize(
    ("final", "repeats", "failed", "reruns", "skipped", "contradiction", "clean"),
    [
        ("passed", 29, 0, 0, 0, False, 30),  # every attempt passed: the logged run counts too
        ("passed", 3, 1, 0, 0, True, 0),     # passed twice, failed the third, passed logged
        ("failed", 1, 1, 0, 0, False, 0),    # failed every attempt: broken, not flaky
        ("failed", 5, 0, 0, 0, True, 0),     # passed five repeats, then the logged run failed
        ("error", 4, 1, 0, 0, True, 0),      # three passes, a failure, an error
        ("passed", 1, 1, 0, 0, True, 0),     # failed its repeat, passed logged
        ("passed", 0, 0, 1, 0, True, 0),     # no repeat fitted; logged run failed, then passed
        ("skipped", 0, 0, 0, 1, False, 0),   # skipped every time: consistent, nothing to bound
        ("xfailed", 0, 0, 0, 1, False, 0),   # an xfail that fails every time: consistent
        ("passed", 0, 0, 0, 0, False, 1),    # the budget share was spent: one attempt
        # the evasion: a test that skips itself when run again, after passing or before
        ("passed", 0, 0, 0, 1, True, 0),     # skipped its repeat, passed logged
        ("passed", 4, 0, 0, 1, True, 0),     # passed four repeats, skipped one, passed logged
        ("failed", 0, 0, 0, 1, True, 0),     # skipped its repeat, failed logged
        ("skipped", 3, 0, 0, 0, True, 0),    # passed three repeats, skipped logged
        ("xpassed", 0, 0, 0, 1, True, 0),    # an xfail-marked test that xfailed, then passed
    ],
)
def test_the_contradiction_table(final: str, repeats: int, failed: int, reruns: int,
                                 skipped: int, contradiction: bool, clean: int) -> None:
    assert judge(outcome(final, repeats, failed, reruns, skipped)) == (contradiction, clean)


def test_the_gate_fails_on_a_contradiction_and_names_it() -> None:
    result = arrival_gate([outcome("passed", 3, 1)], base="main", why_not="", bound=0.1)
    assert (result.status, result.actual, result.level) == ("fail", 1, "block")
    assert "tests/test_a.py::test_a (3 repeat(s), 1 failed, then passed)" in result.message


def test_the_gate_names_a_repeat_that_skipped() -> None:
    result = arrival_gate([outcome("passed", 2, 0, skipped=1)], base="main", why_not="",
                          bound=0.1)
    assert result.status == "fail"
    assert "(2 repeat(s), 0 failed, then a repeat skipped, then passed)" in result.message


def test_a_test_not_repeated_enough_is_unproven_not_passed() -> None:
    # hostile case 170: "flake rate below 10% for 0" is no evidence; the policy decides
    result = arrival_gate([outcome("passed", 2, 0)], base="main", why_not="", bound=0.1,
                          on_missing="fail")
    assert (result.status, result.actual, result.on_missing) == ("not_evaluated", 1, "fail")
    assert "1 not repeated enough within the budget share" in result.message
    assert "unproven: tests/test_a.py::test_a" in result.message
    assert result.details["unproven"] == ["tests/test_a.py::test_a"]
    tests = result.details["tests"]
    assert isinstance(tests, list)
    assert tests[0]["upper_bound"] == round(upper_bound(3), 4)


def test_no_arrival_is_a_pass_and_no_base_is_not_evaluated() -> None:
    plain = TestOutcome("tests/test_b.py::test_b", "unit")
    assert arrival_gate([plain], base="main", why_not="", bound=0.1).message == \
        "no test changed since main (or reached by a changed file) or new to the flake ledger"
    missing = arrival_gate([plain], base=None, why_not="no base", bound=0.1)
    assert (missing.status, missing.message, missing.on_missing) == (
        "not_evaluated", "no base", "warn")


@pytest.mark.parametrize(
    ("final", "repeats", "failed", "status", "start"),
    [
        ("passed", 29, 0, "pass", "1 test(s) new to the flake ledger (no change read: no base)"
                                  ", none contradicted itself; flake rate below 10% (95%) for 1"),
        ("passed", 3, 1, "fail", "1 test(s) new to the flake ledger (no change read: no base) "
                                 "passed and failed on this tree"),
    ],
)
def test_without_a_base_the_rows_of_tests_new_to_the_ledger_are_judged(
    final: str, repeats: int, failed: int, status: str, start: str
) -> None:
    """A run without a base (and ``pyramid merge`` without ``--diff-base``) judges the
    records' own rows: a contradiction there blocks as it does with a base."""
    result = arrival_gate([outcome(final, repeats, failed),
                           TestOutcome("tests/test_b.py::test_b", "unit")],
                          base=None, why_not="no base", bound=0.1)
    assert result.status == status
    assert result.message.startswith(start), result.message
    assert result.details["base"] is None
    rows = result.details["tests"]
    assert isinstance(rows, list)
    assert [row["nodeid"] for row in rows] == ["tests/test_a.py::test_a"]


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        (None, set()),                                # no ledger, or one with no run: no rule
        (frozenset(), {"t::a", "t::b"}),              # a ledger whose runs held no test
        (frozenset({"t::a"}), {"t::b"}),              # t::a has an attempt in it
        (frozenset({"t::a", "t::b", "t::gone"}), set()),
        (frozenset({"t::A"}), {"t::a", "t::b"}),      # node ids compare exactly
    ],
)
def test_a_test_is_new_when_the_ledger_holds_no_attempt_of_it(
    seen: frozenset[str] | None, expected: set[str]
) -> None:
    assert new_to_ledger(["t::a", "t::b"], seen) == expected


@pytest.mark.parametrize(
    ("properties", "found"),
    [
        ([], None),
        ([("pyramid_metric", 1)], None),
        ([(PROPERTY, {"repeats": 3, "failed": 1, "skipped": 0, "needed": 29})], (3, 1, 0, ())),
        ([(PROPERTY, {"repeats": 3, "failed": 0, "skipped": 1, "needed": 29})], (3, 0, 1, ())),
        # why it arrived: reasons the repeater writes, nothing else
        ([(PROPERTY, {"repeats": 0, "failed": 0, "skipped": 0, "needed": 29,
                      "why": ["changed: t/a.py", "new to the ledger", "reached by t/h.py",
                              "read while it ran: t/d.json"]})],
         (0, 0, 0, ("changed: t/a.py", "new to the ledger", "reached by t/h.py",
                    "read while it ran: t/d.json"))),
        ([(PROPERTY, {"repeats": 1, "failed": 0, "skipped": 0, "why": ["trusted: x"]})], None),
        ([(PROPERTY, {"repeats": 1, "failed": 0, "skipped": 0, "why": "changed: a"})], None),
        ([(PROPERTY, {"repeats": 1, "failed": 0, "skipped": 0, "why": [1]})], None),
        ([(PROPERTY, {"repeats": 1, "failed": 0, "skipped": 0,
                      "why": ["new to the ledger"] * 17})], None),
        ([(PROPERTY, {"repeats": 3, "failed": 1, "needed": 29})], None),  # skipped missing
        ([(PROPERTY, {"repeats": 1, "failed": 2, "skipped": 0})], None),  # more failed than run
        ([(PROPERTY, {"repeats": 1, "failed": 1, "skipped": 1})], None),  # stops at the first
        ([(PROPERTY, {"repeats": 1, "failed": 0, "skipped": 2})], None),
        ([(PROPERTY, {"repeats": True, "failed": 0, "skipped": 0})], None),
        ([(PROPERTY, "3/1")], None),
    ],
)
def test_arrival_of_reads_only_what_the_repeater_writes(
    properties: list[tuple[str, object]], found: tuple[int, int, int, tuple[str, ...]] | None
) -> None:
    assert arrival_of(properties) == found


def test_the_record_carries_the_arrival_and_every_reader_checks_it_alike() -> None:
    entry = record(outcome("passed", 29, 0))
    assert entry["arrival"] == {"repeats": 29, "failed": 0, "skipped": 0}
    assert arrival_problem(entry["arrival"], record=True) is None
    for bad in ({"repeats": 1}, {"repeats": 1, "failed": 2, "skipped": 0},
                {"repeats": 1.0, "failed": 0, "skipped": 0}, {"repeats": 1, "failed": 0},
                {"repeats": 1, "failed": 0, "skipped": 0, "extra": 1},
                {"repeats": 1, "failed": 0, "skipped": 0, "needed": 29},  # the property's
                {"repeats": 1, "failed": 0, "skipped": True}, [1, 0]):
        assert arrival_problem(bad, record=True) is not None
    # the one checker: the user property may carry the repeats the bound asked for
    assert arrival_problem({"repeats": 1, "failed": 0, "skipped": 0, "needed": 29}) is None
    assert "arrival" not in record(TestOutcome("tests/test_b.py::test_b", "unit"))


def test_settings_from_the_flaky_table() -> None:
    assert ArrivalSettings.from_table(None) == ArrivalSettings(True, 0.1, 0.1)
    assert ArrivalSettings.from_table({"arrival": False, "arrival_share": 0.5,
                                       "arrival_bound": 0.05, "window": 9}) == \
        ArrivalSettings(False, 0.5, 0.05)


CHANGED = frozenset({"tests/unit/test_a.py", "tests/api/conftest.py", "src/app.py",
                     "tests/unit/conftest_helpers.py"})


@pytest.mark.parametrize(
    ("name", "changed", "expected"),
    [
        ("tests/unit/test_a.py", CHANGED, True),         # the test file changed
        ("tests/unit/test_b.py", CHANGED, False),        # a helper named like a conftest is not one
        ("tests/api/test_c.py", CHANGED, True),          # its folder's conftest changed
        ("tests/api/v2/test_d.py", CHANGED, True),       # a conftest above it changed
        ("tests/apiv2/test_e.py", CHANGED, False),       # a sibling folder sharing a prefix
        ("tests/test_f.py", CHANGED, False),             # above the changed conftest
        ("tests/test_f.py", CHANGED | {"conftest.py"}, True),  # the top's conftest changed
        ("", CHANGED | {"conftest.py"}, False),          # a test outside the repository
    ],
)
def test_a_test_arrives_when_its_file_or_a_conftest_above_it_changed(
    name: str, changed: frozenset[str], expected: bool
) -> None:
    assert arrives(name, changed, conftest_folders(changed)) is expected
