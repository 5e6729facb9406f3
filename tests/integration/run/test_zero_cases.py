"""A test counts by the cases it ran and by what pytest found about it (hostile cases 442,
444), judged alike on every route: serially, under ``-n 2`` and as 2 CI shards + ``pyramid
merge``. The rows of one decision share a project (one run per route), each row in its own
file, and every row's test is asserted by name in the verdict.

- 442: a test pytest made for an empty parameter set, and one a library skipped (Hypothesis
  with no phase left to run), ran zero cases: ``incomplete``, naming it; the skips the
  project wrote (marks, ``pytest.skip``/``importorskip``/``unittest.SkipTest`` in its code, a
  fixture of its conftest, unittest's decorators) count as skips; a tracked
  ``empty_parameter_set_mark`` makes an empty set the project's decision.
- 444: an exception nobody caught in a thread the test started or in a finalizer, which
  pytest ties to the test as a warning and lets pass: ``incomplete``, naming the test and
  the exception type; the project's tracked filters decide otherwise (ignore: ready; error:
  pytest fails the test).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.support.routes import judged

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

IGNORE = ("pyramid-verdict*\npyramid-partial*\npyramid-results*\n.coverage*\n__pycache__/\n"
          "/stdout\n/stderr\n/runpytest-current\n")

#: row -> (its test file's body, the finding's message, the test and its detail named in it)
NAMED: dict[str, tuple[str, str, str]] = {
    "glob-relative-to-the-working-folder": ("""
        from pathlib import Path
        import pytest
        @pytest.mark.parametrize("case", sorted(Path("cases").glob("*.json")))
        def test_case(case):
            assert False
    """, "ran zero cases: the parameter set was empty", "{path}::test_case"),
    "generate-tests-empty": ("""
        def pytest_generate_tests(metafunc):
            if "row" in metafunc.fixturenames:
                metafunc.parametrize("row", [])
        class TestRows:
            def test_row(self, row):
                assert False
    """, "ran zero cases: the parameter set was empty", "{path}::TestRows::test_row"),
    "hypothesis-no-phase": ("""
        from hypothesis import Phase, given, settings, strategies as st
        @settings(phases=[Phase.explicit])
        @given(st.integers())
        def test_never(a):
            assert False
    """, "skipped by code outside the project",
        "{path}::test_never ('Hypothesis has been told to run no test cases"),
    "assert-in-a-thread": ("""
        import threading
        def test_in_thread():
            def check():
                assert 2 + 2 == 5
            t = threading.Thread(target=check)
            t.start()
            t.join()
    """, "let pass", "{path}::test_in_thread (AssertionError in a thread)"),
    "raise-in-a-finalizer": ("""
        class Conn:
            def __del__(self):
                raise ValueError("closed twice")
        def test_del():
            Conn()
    """, "let pass", "{path}::test_del (ValueError in a finalizer or callback (unraisable))"),
}

#: the project's own skips, and a warning its test's own mark ignores: all count, ready
COUNTED: dict[str, str] = {
    "marks": """
        import sys
        import pytest
        @pytest.mark.skip(reason="not on this platform")
        def test_marked():
            assert False
        @pytest.mark.skipif(sys.version_info > (3,), reason="python 2 only")
        def test_marked_if():
            assert False
    """,
    "skips-in-its-code": """
        import unittest
        import pytest
        def test_pytest_skip():
            pytest.skip("needs a GPU")
        def test_importorskip():
            pytest.importorskip("no_such_module_here")
        def test_skiptest():
            raise unittest.SkipTest("the project's own words")
        def test_fixture_skips(needs_service):
            assert False
    """,
    "unittest-decorators": """
        import unittest
        class TestOld(unittest.TestCase):
            @unittest.skip("retired")
            def test_retired(self):
                self.fail()
            def test_skip_itself(self):
                self.skipTest("not today")
    """,
    "hypothesis-with-an-example": """
        from hypothesis import Phase, example, given, settings, strategies as st
        @settings(phases=[Phase.explicit])
        @example(2)
        @given(st.integers())
        def test_explicit(a):
            assert a == 2
    """,
    "thread-warning-ignored-by-its-mark": """
        import threading
        import pytest
        @pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
        def test_known_noise():
            t = threading.Thread(target=lambda: 1 / 0)
            t.start()
            t.join()
    """,
}
CONFTEST = """
import pytest
@pytest.fixture
def needs_service():
    pytest.skip("the service is not running")
"""


def _file(row: str) -> str:
    return f"tests/unit/test_{row.replace('-', '_')}.py"




def _said(verdict: dict[str, Any]) -> list[str]:
    return [*verdict["reasons"], *(p["message"] for p in verdict["completeness"])]


#: the run's own filters (this suite's "error" would turn the warnings pytest records into
#: failures of the project's tests in an in-process run): the warnings as a project without
#: filters sees them
DEFAULT_WARNINGS = ('filterwarnings = ["default::pytest.PytestUnhandledThreadExceptionWarning", '
                    '"default::pytest.PytestUnraisableExceptionWarning"]\n')


@pytest.mark.parametrize("route", ["serial", "n2", "shards"])
def test_a_test_that_ran_zero_cases_or_hid_an_exception_is_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], route: str,
) -> None:
    """The named rows and the counted ones in one project: each named row's test is named,
    no counted row's file is, and nothing else is found (the counted rows' skips count)."""
    monkeypatch.delenv("PYRAMID_RUN_ID", raising=False)
    project({".gitignore": IGNORE, "tests/unit/conftest.py": CONFTEST,
             **{_file(row): body for row, (body, _, _) in NAMED.items()},
             **{_file(row): body for row, body in COUNTED.items()}}, ini=DEFAULT_WARNINGS)
    monkeypatch.chdir(pytester.path)
    verdict = judged(pytester, route, read_verdict, capsys, "zero-cases")
    assert verdict["decision"] == "incomplete", verdict["reasons"]
    said = _said(verdict)
    for row, (_, finding, named) in NAMED.items():
        assert any(finding in line and named.format(path=_file(row)) in line
                   for line in said), (row, said)
    # these findings (a shard's own, each shard's: as many messages), none about the
    # project's own skips
    assert {p["kind"] for p in verdict["completeness"]} == {
        "tests_not_collected", "unhandled_exception"}, said
    assert not [line for line in said for row in COUNTED if _file(row) in line], said
    assert verdict["tiers"]["unit"]["skipped"] == 8 + 3


def test_the_tracked_configuration_decides(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """A tracked ``empty_parameter_set_mark`` and ``filterwarnings`` ignore are the project's
    decisions: ready; its filter that makes the warning an error lets pytest fail the test."""
    monkeypatch.delenv("PYRAMID_RUN_ID", raising=False)
    files = {".gitignore": IGNORE,
             **{_file(row): NAMED[row][0] for row in ("glob-relative-to-the-working-folder",
                                                      "assert-in-a-thread",
                                                      "raise-in-a-finalizer")}}
    project(files, ini='empty_parameter_set_mark = "skip"\nfilterwarnings = '
            '["ignore::pytest.PytestUnhandledThreadExceptionWarning", '
            '"ignore::pytest.PytestUnraisableExceptionWarning"]\n')
    monkeypatch.chdir(pytester.path)
    verdict = judged(pytester, "serial", read_verdict, capsys, "zero-cases")
    assert verdict["decision"] == "ready", _said(verdict)
    (pytester.path / "pyproject.toml").write_text(
        (pytester.path / "pyproject.toml").read_text().replace(
            "empty_parameter_set_mark = \"skip\"\n", "").replace('"ignore::', '"error::'))
    from tests.git_repo import commit

    commit(pytester.path)
    verdict = judged(pytester, "serial", read_verdict, capsys, "zero-cases")
    assert verdict["decision"] == "blocked", _said(verdict)
    assert verdict["tiers"]["unit"]["failed"] == 2
    assert any("ran zero cases" in line for line in _said(verdict))
