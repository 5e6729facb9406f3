"""Flaky on arrival, which tests a change reaches (run/arrival.py, pure): a test file's own
change or a conftest above it, the changed support files under the test folders (helpers,
fixture plugins, data), the reach read from the closed world's first reads (a file the run
did not see read reaches every test too: hostile case 189 d), the reasons a record carries,
and the gate (gates/arrival.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.gates.arrival import arrival_gate
from pytest_pyramid.run.arrival import (
    Arrival,
    all_test_folders,
    arrival_problem,
    change_reason,
    configured_test_folders,
    conftest_folders,
    folders_of_tests,
    reach,
    reason_file,
    reasons,
    support_files,
)
from pytest_pyramid.run.summary import TestOutcome

if TYPE_CHECKING:
    from pathlib import Path


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


@pytest.mark.parametrize(
    ("tiers", "testpaths", "rootdir", "tests", "prefix", "folders"),
    [
        (["tests/unit"], ["tests"], "", {"tests/unit/test_a.py"}, "", ("tests", "tests/unit")),
        # the rootdir below the top: the configured folders and the prefix move under it
        (["tests"], [], "services/a", {"services/a/tests/test_a.py"}, "services/a",
         ("services/a/tests",)),
        (["tests/*/unit"], [], "", {"other/test_b.py"}, "", ("other", "tests")),
        # a rootdir outside the top is not placed under it; a test outside it is no folder
        (["tests"], [], "../elsewhere", {"../elsewhere/test_c.py"}, "", ("tests",)),
        ([], [], "", {"test_top.py"}, "", ()),  # the top only when configured
        (["*"], [], "", set(), "", ("",)),
    ],
)
def test_one_function_says_which_folders_are_test_folders(
    tmp_path: Path, tiers: list[str], testpaths: list[str], rootdir: str, tests: set[str],
    prefix: str, folders: tuple[str, ...],
) -> None:
    # the arrival rule (repeater) and the workspace rule (closed world) both ask it
    top = tmp_path / "top"
    (top / rootdir).mkdir(parents=True, exist_ok=True)
    (top / "link").symlink_to(top)  # a symlinked top names the same folders
    for seen_top in (top, top / "link"):
        found = configured_test_folders(tiers, testpaths, str(top / rootdir), str(seen_top),
                                        tests)
        assert found == (prefix, folders)


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


@pytest.mark.parametrize(
    ("conftest", "support"),
    [
        ("tests/conftest.py", False),  # above a test: its tests arrive by it (changed: ...)
        ("conftest.py", False),
        ("tests/unit/conftest.py", False),
        ("tests/support/conftest.py", True),  # no test below it: a module a test may import
        ("tests/unit/deep/conftest.py", True),
    ],
)
def test_a_conftest_no_test_lies_below_is_a_support_file(conftest: str, support: bool) -> None:
    tests = frozenset({"tests/unit/test_a.py", "tests/unit/sub/test_b.py", ""})
    assert (conftest in support_files(frozenset({conftest}), tests, ("",))) is support


@pytest.mark.parametrize(
    ("configured", "tests", "folders"),
    [
        (("tests/unit",), {"tests/unit/test_a.py"}, ("tests/unit",)),
        # a test no tier path names: the data beside it is support too
        (("tests/unit",), {"other/checks/test_b.py"}, ("other/checks", "tests/unit")),
        ((), {"test_top.py", ""}, ()),  # the top only when configured; "" is outside it
        (("",), {"test_top.py"}, ("",)),
    ],
)
def test_the_test_folders_add_the_folders_tests_were_collected_from(
    configured: tuple[str, ...], tests: set[str], folders: tuple[str, ...]
) -> None:
    assert all_test_folders(configured, tests) == folders


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
    # nothing recorded (no closed world): no file is known read, every one "may read"
    assert reach(None, support) == ((), support)


@pytest.mark.parametrize(
    ("own", "new", "reached", "unread", "why"),
    [
        (None, False, (), (), ()),
        ("changed: t/a.py", True, (), (), ("changed: t/a.py", "new to the ledger")),
        (None, False, ("t/a.json", "t/b.py", "t/c.py", "t/d.py", "t/e.py"), (),
         ("reached by t/a.json", "reached by t/b.py", "reached by t/c.py",
          "reached by 2 more changed support file(s)")),
        # a changed file no read was seen of (C code, a child, a test that reads it later)
        (None, False, (), ("t/expected.bin",), ("may read: t/expected.bin",)),
        ("changed: t/a.py", False, ("t/b.py",), ("t/c", "t/d", "t/e", "t/f"),
         ("changed: t/a.py", "reached by t/b.py", "may read: t/c", "may read: t/d",
          "may read: t/e", "may read: 1 more changed support file(s)")),
    ],
)
def test_reasons_in_order(own: str | None, new: bool, reached: tuple[str, ...],
                          unread: tuple[str, ...], why: tuple[str, ...]) -> None:
    assert reasons(own, new, reached, unread) == why


def test_a_reason_names_its_file() -> None:
    assert [reason_file(r) for r in ("changed: t/a.py", "new to the ledger", "reached by t/b",
                                     "may read: t/d", "read while it ran: t/c")] == [
        "t/a.py", None, "t/b", "t/d", "t/c"]


@pytest.mark.parametrize(
    ("why", "accepted"),
    [
        (["may read: t/expected.bin"], True),
        (["may read: t/x", "read while it ran: t/x"], True),
        (["reached by t/x", "never read: t/x"], False),  # an allow-list of reasons
        (["maybe: t/x"], False),
    ],
)
def test_a_record_carries_only_the_reasons_the_plugin_writes(why: list[str],
                                                             accepted: bool) -> None:
    entry = {"repeats": 1, "failed": 0, "skipped": 0, "why": why}
    assert (arrival_problem(entry, record=True) is None) is accepted


def _arrived(nodeid: str, repeats: int, *why: str) -> TestOutcome:
    test = TestOutcome(nodeid, "unit", "passed")
    test.arrival = Arrival(repeats, 0, 0, why)
    return test


def test_a_file_first_read_while_a_test_ran_reached_every_test_already() -> None:
    # every collected test arrived with it ("may read"), so all were repeated: proven, pass
    proven = _arrived("t/test_a.py::test_a", 29, "may read: t/late.json")
    late = _arrived("t/test_b.py::test_b", 29, "may read: t/late.json",
                    "read while it ran: t/late.json")
    result = arrival_gate([proven, late], base="main", why_not="", bound=0.1)
    assert result.status == "pass", result.message
    rows = result.details["tests"]
    assert isinstance(rows, list)
    assert rows[1]["why"] == ["may read: t/late.json", "read while it ran: t/late.json"]


@pytest.mark.parametrize("reason", ["reached by t/fixtures/db.py", "may read: t/fixtures/db.py"])
def test_an_unproven_test_names_the_changed_file_it_arrived_with(reason: str) -> None:
    result = arrival_gate([_arrived("t/test_a.py::test_a", 2, reason)],
                          base="main", why_not="", bound=0.1)
    assert result.status == "not_evaluated"
    assert "(unproven: t/test_a.py::test_a; arrived with t/fixtures/db.py;" in result.message


def test_a_proven_arrival_with_its_reasons_passes() -> None:
    result = arrival_gate([_arrived("t/test_a.py::test_a", 29, "reached by t/data.json")],
                          base="main", why_not="", bound=0.1)
    assert result.status == "pass"
