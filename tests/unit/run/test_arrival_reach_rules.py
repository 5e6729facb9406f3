"""Flaky on arrival, which tests a change reaches (run/arrival.py, pure): a test file's own
change or a conftest above it, the changed support files under the test folders (helpers,
fixture plugins, data), the reach read from the closed world's first reads, the reasons a
record carries, and the gate's "could not tell" (gates/arrival.py)."""

from __future__ import annotations

import pytest

from pytest_pyramid.gates.arrival import arrival_gate
from pytest_pyramid.run.arrival import (
    Arrival,
    change_reason,
    conftest_folders,
    folders_of_tests,
    ran_into,
    reach,
    reason_file,
    reasons,
    support_files,
)
from pytest_pyramid.run.summary import TestOutcome


@pytest.mark.parametrize(
    ("name", "changed", "expected"),
    [
        ("tests/unit/test_a.py", {"tests/unit/test_a.py"}, "changed: tests/unit/test_a.py"),
        ("tests/unit/test_a.py", {"tests/conftest.py"}, "changed: tests/conftest.py"),
        ("tests/unit/test_a.py", {"conftest.py"}, "changed: conftest.py"),
        ("tests/unit/test_a.py", {"tests/unit/other/conftest.py"}, None),  # not above it
        ("tests/unit/test_a.py", {"tests/helpers.py"}, None),  # reached, not its own change
        ("", {"conftest.py"}, None),  # outside the top
    ],
)
def test_a_test_files_own_change_says_which_file(name: str, changed: set[str],
                                                 expected: str | None) -> None:
    frozen = frozenset(changed)
    assert change_reason(name, frozen, conftest_folders(frozen)) == expected


@pytest.mark.parametrize(
    ("patterns", "prefix", "folders"),
    [
        (["tests/unit", "tests/e2e"], "", ("tests/e2e", "tests/unit")),
        (["tests"], "services/a", ("services/a/tests",)),  # the rootdir below the top
        (["tests/*/unit", "./it/"], "", ("it", "tests")),  # a glob is cut at its wildcard
        (["*"], "", ("",)),  # the whole rootdir
    ],
)
def test_the_test_folders_are_the_tiers_paths_and_testpaths(
    patterns: list[str], prefix: str, folders: tuple[str, ...]
) -> None:
    assert folders_of_tests(patterns, prefix) == folders


def test_support_files_are_changed_files_under_the_test_folders_that_no_test_came_from() -> None:
    changed = frozenset({
        "tests/helpers.py",  # a helper a test module imports
        "tests/fixtures/db.py",  # a fixture plugin
        "tests/unit/cases.json",  # data
        "tests/unit/test_a.py",  # a test file: its own tests arrive by it
        "tests/conftest.py",  # a conftest: the tests below it arrive by it
        "src/pkg/core.py",  # product code: outside the test folders
        "testsuite/x.py",  # a name that only starts like a test folder
    })
    assert support_files(changed, frozenset({"tests/unit/test_a.py"}), ("tests",)) == {
        "tests/helpers.py", "tests/fixtures/db.py", "tests/unit/cases.json"}
    assert support_files(changed, frozenset(), ("",)) >= {"src/pkg/core.py"}


def test_reach_is_every_collected_test_for_a_file_read_by_collections_end() -> None:
    first_read: dict[str, str | None] = {
        "/r/tests/fixtures/db.py": None,  # pytest_plugins, while collecting
        "/r/tests/unit/cases.json": None,
        "/r/tests/late.txt": "tests/unit/test_a.py::test_a",  # a test ran (in-process)
    }
    support = {"/r/tests/unit/cases.json": "tests/unit/cases.json",
               "/r/tests/fixtures/db.py": "tests/fixtures/db.py",
               "/r/tests/late.txt": "tests/late.txt",
               "/r/tests/unread.json": "tests/unread.json"}
    collected, unread = reach(first_read, support)
    assert collected == ("tests/fixtures/db.py", "tests/late.txt", "tests/unit/cases.json")
    assert unread == {"/r/tests/unread.json": "tests/unread.json"}


@pytest.mark.parametrize(
    ("own", "new", "reached", "why"),
    [
        (None, False, (), ()),
        ("changed: t/a.py", True, (), ("changed: t/a.py", "new to the ledger")),
        (None, False, ("t/a.json", "t/b.py", "t/c.py", "t/d.py", "t/e.py"),
         ("reached by t/a.json", "reached by t/b.py", "reached by t/c.py",
          "reached by 2 more changed support file(s)")),
    ],
)
def test_reasons_in_order(own: str | None, new: bool, reached: tuple[str, ...],
                          why: tuple[str, ...]) -> None:
    assert reasons(own, new, reached) == why


def test_a_reason_names_its_file() -> None:
    assert [reason_file(r) for r in ("changed: t/a.py", "new to the ledger", "reached by t/b",
                                     "read while it ran: t/c")] == ["t/a.py", None, "t/b", "t/c"]
    assert ran_into(["reached by t/b", "read while it ran: t/c"]) == ["t/c"]


def _arrived(nodeid: str, repeats: int, *why: str) -> TestOutcome:
    test = TestOutcome(nodeid, "unit", "passed")
    test.arrival = Arrival(repeats, 0, 0, why)
    return test


def test_a_file_first_read_while_a_test_ran_leaves_the_gate_unable_to_tell() -> None:
    proven = _arrived("t/test_a.py::test_a", 29, "reached by t/helpers.py")
    late = _arrived("t/test_b.py::test_b", 29, "reached by t/helpers.py",
                    "read while it ran: t/late.json")
    result = arrival_gate([proven, late], base="main", why_not="", bound=0.1)
    assert result.status == "not_evaluated"  # both proven: the file's other readers are not
    assert ("could not tell which tests 1 changed support file(s) reach: t/late.json (first "
            "read while t/test_b.py::test_b ran)") in result.message
    assert result.details["untold"] == {"t/late.json": "t/test_b.py::test_b"}
    rows = result.details["tests"]
    assert isinstance(rows, list)
    assert rows[1]["why"] == ["reached by t/helpers.py", "read while it ran: t/late.json"]


def test_an_unproven_test_names_the_changed_file_it_arrived_with() -> None:
    result = arrival_gate([_arrived("t/test_a.py::test_a", 2, "reached by t/fixtures/db.py")],
                          base="main", why_not="", bound=0.1)
    assert result.status == "not_evaluated"
    assert "(unproven: t/test_a.py::test_a; arrived with t/fixtures/db.py;" in result.message


def test_a_proven_arrival_with_its_reasons_passes() -> None:
    result = arrival_gate([_arrived("t/test_a.py::test_a", 29, "reached by t/data.json")],
                          base="main", why_not="", bound=0.1)
    assert result.status == "pass"
