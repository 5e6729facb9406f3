"""A test counts by the cases it ran and by what pytest found about it (run/case_facts.py:
hostile cases 442, 444): the pure parts, as tables."""

from __future__ import annotations

import pytest

from pytest_pyramid.run.case_facts import (
    counted_skip,
    empty_case,
    exception_type,
    own_site,
    skip_entry,
    unhandled_entry,
)

NOTSET = object()


@pytest.mark.parametrize(("values", "empty"), [
    ((NOTSET,), True),
    ((1, NOTSET), True),  # one empty set among stacked parametrize decorators
    ((1, 2), False),
    ((None,), False),  # a case the project wrote may hold None
    ((), False),
])
def test_an_item_for_an_empty_parameter_set(values: tuple[object, ...], empty: bool) -> None:
    assert empty_case(values, NOTSET) is empty


ROOT = "/work/proj"
INSTALLED = ("/usr/lib/python3.11", "/work/proj/.venv")


@pytest.mark.parametrize(("path", "own"), [
    ("/work/proj/tests/test_a.py", True),
    ("/work/proj/conftest.py", True),
    ("/work/proj/src/mypkg/helpers.py", True),
    ("/work/proj/.venv/lib/python3.11/site-packages/hypothesis/core.py", False),  # installed
    ("/work/proj/vendor/site-packages/lib/skipper.py", False),  # installed code by its folder
    ("/usr/lib/python3.11/unittest/case.py", False),
    ("/work/project-other/tests/test_a.py", False),  # a sibling, not inside
    ("/work/proj/../other/test_a.py", False),
])
def test_the_projects_own_code(path: str, own: bool) -> None:
    assert own_site(path, ROOT, INSTALLED) is own


MARKS = frozenset({"/venv/_pytest/skipping.py"})


@pytest.mark.parametrize(("site", "counted"), [
    ("/venv/_pytest/skipping.py", True),  # a skip/skipif mark pytest evaluated
    ("/work/proj/tests/test_a.py", True),  # pytest.skip / SkipTest in the project's code
    ("/venv/lib/site-packages/hypothesis/core.py", False),
    ("/venv/_pytest/python.py", False),
])
def test_a_skip_counts_when_the_project_wrote_it(site: str, counted: bool) -> None:
    assert counted_skip(site, ROOT, ("/venv",), MARKS) is counted


THREAD = """Exception in thread Thread-2 (check)

Traceback (most recent call last):
  File "/usr/lib/python3.11/threading.py", line 1045, in _bootstrap_inner
    self.run()
  File "/work/proj/tests/test_a.py", line 5, in check
    assert add(2, 2) == 5
AssertionError: assert 4 == 5

Enable tracemalloc to get traceback where the object was allocated.
"""
CHAINED = """Exception ignored in: <function Conn.__del__ at 0x7f>

Traceback (most recent call last):
  File "/work/proj/db.py", line 3, in close
KeyError: 'conn'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/work/proj/db.py", line 5, in __del__
mypkg.errors.ClosedTwice
"""


@pytest.mark.parametrize(("message", "name"), [
    (THREAD, "AssertionError"),
    (CHAINED, "mypkg.errors.ClosedTwice"),  # the last traceback's exception, no message
    ("Exception in thread Thread-1", "an exception"),  # no traceback in the message
    ("Traceback (most recent call last):\n  File x\nnot an exception name here", "an exception"),
])
def test_the_exception_type_pytest_named(message: str, name: str) -> None:
    assert exception_type(message) == name


@pytest.mark.parametrize(("nodeid", "category", "entry"), [
    ("t.py::test_a", "PytestUnhandledThreadExceptionWarning",
     "t.py::test_a (AssertionError in a thread)"),
    ("t.py::test_a", "PytestUnraisableExceptionWarning",
     "t.py::test_a (AssertionError in a finalizer or callback (unraisable))"),
    ("", "PytestUnhandledThreadExceptionWarning",
     "(outside any test) (AssertionError in a thread)"),
    ("t.py::test_a", "PytestCollectionWarning", None),
])
def test_pytests_finding_about_a_test(nodeid: str, category: str, entry: str | None) -> None:
    assert unhandled_entry(nodeid, category, THREAD) == entry


def test_a_foreign_skip_names_its_test_reason_and_file() -> None:
    entry = skip_entry("t.py::test_a", "Skipped: " + "x" * 200,
                       "/venv/lib/site-packages/hypothesis/core.py")
    assert entry.startswith("t.py::test_a ('xxx")
    assert entry.endswith("...', raised in hypothesis/core.py)")


def test_a_project_under_a_system_pythons_prefix_is_its_own() -> None:
    # /usr/src/app lies under /usr, a system Python's prefix, not under its library folders
    installed = ("/usr/lib/python3.11", "/usr/local/lib/python3.11/dist-packages")
    assert own_site("/usr/src/app/tests/test_a.py", "/usr/src/app", installed)
    assert not own_site("/usr/lib/python3.11/unittest/case.py", "/usr", installed)
