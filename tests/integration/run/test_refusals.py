"""Outcomes pytest gives without judging them, judged alike on every route (hostile cases
301, 306, 312): a project committed to git, run serially, under ``-n 2`` and as 2 CI shards
+ ``pyramid merge``; each row must give the same decision on every route.

- 301: a test on disk pytest refused (a class it cannot collect, a test-named fixture, a test
  that returns its comparison) never ran: ``incomplete``, naming it; a class whose own body
  says ``__test__ = False`` is the project's decision.
- 306: a quarantine entry excuses its test's own failure, never a wider fixture's teardown
  that pytest reported on it.
- 312: pytest-timeout's own limit (its ``timeout`` setting) judges the attempt that counts:
  a rerun over it fails, as under a tier's ``test_timeout``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from tests.support.routes import judged

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

IGNORE = ("pyramid-verdict*\npyramid-partial*\npyramid-results*\n.coverage*\n__pycache__/\n"
          "/stdout\n/stderr\n/runpytest-current\n")
QUARANTINE = """
[[tool.pyramid.quarantine]]
test = "tests/unit/test_row.py::test_z_last"
owner = "alice"
expires = 2099-12-31
reason = "flaky on the shared runner"
"""
SERVER = """
import pytest

class Server:
    crashed = False
    def stop(self):
        if self.crashed:
            raise RuntimeError("server exited with status 139")

@pytest.fixture(scope="{scope}")
def server():
    s = Server()
    yield s
    s.stop()

def test_a_crashes_it(server):
    {first}

def test_b(server):
    pass

def test_z_last(server):  # quarantined; pytest reports the module fixture's teardown here
    {last}
"""


@dataclass(frozen=True)
class Row:
    id: str
    body: str
    decision: str
    reason: str = ""
    config: str = ""
    ini: str = ""
    routes: tuple[str, ...] = ("serial", "n2", "shards")
    extra: dict[str, str] = field(default_factory=dict)
    addopts: str = ""
    marks: tuple[pytest.MarkDecorator, ...] = ()


#: unittest says a test method returned a value from Python 3.11 on (3.10 is silent)
UNITTEST_WARNS = sys.version_info >= (3, 11)
#: round 16a: the source scan's facts are the same in every process (the record's union is the
#: shards' route, shown by the rows above): serial and -n 2
SOURCE_ROUTES = ("serial", "n2")


ROWS = [
    # -- 301 --
    Row("init-class", """
        class TestRefund:
            def __init__(self, amount=2):
                self.amount = amount
            def test_refund(self):
                assert self.amount == 5
        def test_plain():
            pass
    """, "incomplete", "tests/unit/test_row.py::TestRefund"),
    Row("inherited-no-test", """
        class TestBase:
            __test__ = False
            def test_positive(self):
                pass
        class TestRefund(TestBase):
            def test_refund(self):
                assert False
        def test_plain():
            pass
    """, "incomplete", "yielded no test: tests/unit/test_row.py::TestRefund ("),
    Row("fixture-named-test", """
        import pytest
        @pytest.fixture
        def test_refund():
            assert False
        def test_plain():
            pass
    """, "incomplete", "are fixtures and never ran as tests: tests/unit/test_row.py::test_refund"),
    Row("returned-comparison", """
        def test_refund():
            return 2 + 2 == 5
        def test_plain():
            pass
    """, "blocked", "tests.pass_rate"),
    Row("own-no-test-decision", """
        class TestHelper:
            __test__ = False
            def test_not_a_test(self):
                assert False
        def test_plain():
            pass
    """, "ready"),
    # -- 346: a subclass of a shared base that forgot __test__ = True; a TestCase by any
    # name; a function a decorator marked not a test
    Row("inherited-tests-only", """
        class ContractBase:
            __test__ = False
            endpoint = ""
            def test_status(self):
                assert self.endpoint.startswith("/")
        class TestPayments(ContractBase):
            endpoint = "pay"
        def test_plain():
            pass
    """, "incomplete", "yielded no test: tests/unit/test_row.py::TestPayments ("),
    Row("testcase-by-another-name", """
        import unittest
        class ContractBase(unittest.TestCase):
            __test__ = False
            def test_status(self):
                pass
        class PaymentsTests(ContractBase):
            def test_refund(self):
                self.assertEqual(1 + 1, 3)
    """, "incomplete", "yielded no test: tests/unit/test_row.py::PaymentsTests ("),
    Row("decorated-not-a-test", """
        def nottest(f):
            f.__test__ = False
            return f
        @nottest
        def test_payment():
            assert False
        def test_plain():
            pass
    """, "incomplete", "function(s) on disk yielded no test: tests/unit/test_row.py::test_payment"),
    Row("declared-not-a-test", """
        def test_helper():
            assert False
        test_helper.__test__ = False  # the module's own decision
        def test_plain():
            pass
    """, "ready"),
    # -- 352: pytest's refusal, its warning silenced by the project's tracked filter
    Row("not-a-function-warning-silenced", """
        class retry:
            def __init__(self, func):
                self.func = func
            def __call__(self, *args):
                return self.func(*args)
        @retry
        def test_payment():
            assert False
        def test_plain():
            pass
    """, "incomplete", "function(s) on disk yielded no test: tests/unit/test_row.py::test_payment",
        ini='filterwarnings = ["ignore::pytest.PytestCollectionWarning"]\n'),
    # -- 348: a test shadowed by a later one of the same name
    Row("shadowed-by-same-name", """
        def test_refund():
            assert False
        def test_refund():
            pass
        class TestPay:
            def test_a(self):
                assert False
            def test_a(self):
                pass
    """, "incomplete", "shadowed by a later definition of the same name: "
        "tests/unit/test_row.py::TestPay::test_a, tests/unit/test_row.py::test_refund"),
    # -- 404: unittest's load_tests protocol, which pytest does not honour
    Row("load-tests-protocol", """
        import unittest

        class TestLegacy(unittest.TestCase):
            def test_ok(self):
                pass

        def load_tests(loader, tests, pattern):
            tests.addTest(unittest.FunctionTestCase(lambda: None))
            return tests
    """, "incomplete", "define unittest's load_tests"),
    # -- 347, 351: a file in the tree that defines tests, off python_files or outside the
    # collected paths; one the run imports (a helper) is no stray, one it only reads (a data
    # file, a licence-header check over every tracked .py: 394) is, on every route alike
    Row("file-named-off-python-files", "def test_plain():\n    pass\n", "incomplete",
        "define tests that never ran: tests/unit/extra/test-payments.py (its name misses "
        "python_files", extra={"tests/unit/extra/test-payments.py": "def test_p():\n"
                               "    assert False\n"}),
    Row("file-outside-testpaths", "def test_plain():\n    pass\n", "incomplete",
        "define tests that never ran: mypkg/tests/test_legacy.py (it lies outside",
        ini='testpaths = ["tests"]\n',
        extra={"mypkg/tests/test_legacy.py": "def test_p():\n    assert False\n"}),
    Row("test-text-the-run-reads", """
        import pathlib
        import py_compile
        def test_plain(tmp_path):
            path = pathlib.Path(__file__).parents[1] / "data" / "sample.py"
            assert "def test_" in path.read_text()
            py_compile.compile(str(path), cfile=str(tmp_path / "sample.pyc"), doraise=True)
    """, "incomplete", "define tests that never ran: tests/data/sample.py",
        ini='testpaths = ["tests"]\n',
        extra={"tests/data/sample.py": "def test_sample():\n    assert False\n"}),
    Row("test-helper-the-run-imports", """
        from shared_cases import TestShared
        def test_plain():
            assert TestShared
    """, "ready", extra={"tests/unit/shared_cases.py": "class TestShared:\n"
                         "    def test_shared(self):\n        pass\n"}),
    # -- round 16a: a test whose shape shows its body never ran
    # 443: defined only when an optional import succeeded
    Row("defined-behind-an-optional-import", """
        try:
            import numpy_not_installed_here as np
        except ImportError:
            np = None
        else:
            def test_else():
                assert False
        if np is not None:
            def test_if():
                assert False
        class TestNumbers:
            if np is not None:
                def test_sum(self):
                    assert False
            def test_plain(self):
                pass
    """, "incomplete", "3 test(s) in the source were never defined when the module was "
        "imported: tests/unit/test_row.py::TestNumbers::test_sum, "
        "tests/unit/test_row.py::test_else, tests/unit/test_row.py::test_if (",
        routes=SOURCE_ROUTES),
    # the project's stated ways: importorskip, a skipif mark; a case whose runner awaits
    Row("stated-skips-and-awaited-cases", """
        import unittest
        import pytest
        HAVE_NP = False
        @pytest.mark.skipif(not HAVE_NP, reason="numpy_not_installed_here")
        def test_numbers():
            assert False
        class Fetch(unittest.IsolatedAsyncioTestCase):
            async def test_fetch(self):
                self.assertEqual(1, 1)
    """, "ready", extra={"tests/unit/test_optional.py": """
        import pytest
        np = pytest.importorskip("numpy_not_installed_here")
        def test_sum():
            assert False
    """}, routes=SOURCE_ROUTES),
    # 441: a TestCase method unittest's plain runner calls and never awaits or iterates
    Row("testcase-body-never-ran", """
        import unittest
        class Fetch(unittest.TestCase):
            async def test_fetch(self):
                self.assertEqual(1, 2)
            def test_gen(self):
                self.assertEqual(1, 2)
                yield
    """, "blocked" if UNITTEST_WARNS else "incomplete", "2 unittest test method(s) never ran "
        "their body: tests/unit/test_row.py::Fetch::test_fetch (async def), "
        "tests/unit/test_row.py::Fetch::test_gen (a generator)", routes=SOURCE_ROUTES),
    Row("testcase-returns-a-value", """
        import unittest
        class Ret(unittest.TestCase):
            def test_ret(self):
                return self.assertEqual  # the call was lost
    """, "blocked", "tests.pass_rate", routes=SOURCE_ROUTES, marks=(pytest.mark.skipif(
        not UNITTEST_WARNS, reason="unittest warns of a returned value from Python 3.11"),)),
    # 445: an assert on a non-empty tuple is always true
    Row("assert-on-a-tuple", """
        def test_sum():
            assert (2 + 2 == 5, "sum is wrong")
    """, "incomplete", "1 assert(s) on a non-empty tuple, always true (remove the parentheses "
        "around the condition and its message): tests/unit/test_row.py:3",
        # as when the rewritten module comes from pytest's cache: no warning at all
        ini='filterwarnings = ["ignore::pytest.PytestAssertRewriteWarning"]\n',
        routes=SOURCE_ROUTES),
    # 446: a docstring example a decorator without functools.wraps hides from doctest
    Row("doctest-behind-a-decorator", """
        def logged(f):
            def inner(*a):
                return f(*a)
            return inner
        @logged
        def add(a, b):
            \"\"\"
            >>> add(2, 3)
            6
            \"\"\"
            return a + b
        def test_add():
            assert add(2, 3) == 5
    """, "incomplete", "1 docstring example(s) in a doctest-collected module were never "
        "collected: tests/unit/test_row.py::add (", addopts="--doctest-modules",
        routes=SOURCE_ROUTES),
    # -- 306 --
    Row("module-teardown-on-quarantined",
        SERVER.format(scope="module", first="server.crashed = True", last="pass"),
        "blocked", "tests.pass_rate", config=QUARANTINE),
    Row("function-teardown-quarantined", SERVER.format(scope="function", first="pass",
                                                       last="server.crashed = True"),
        "ready", config=QUARANTINE),
    # -- 312 --
    Row("pytest-timeout-reruns", """
        import time
        def test_slow_every_time():
            time.sleep(3)  # well past the 1 s limit on every attempt
    """, "blocked", "tests.pass_rate", ini="timeout = 1\nreruns = 1\n",
        routes=("serial", "n2")),
]




#: Rows of one file each and no setting of their own, whose -n 2 and shard routes are proven
#: together: each row's file beside the others' in one project, one run per route, every
#: row's reason asserted (the decision is the fold's, which every row gives alone). The
#: refused tests are facts each worker and shard observes and ships (run/refusals.py:
#: RefusedTests), so one run per route still takes each row's fact through the workers'
#: union and the merge. Each row keeps its own serial run. The rows left out keep every
#: route of their own: a setting of their own (ini, quarantine), or a blocked decision
#: that would hide a fold's incomplete one.
FOLDS = {
    "incomplete": ("init-class", "inherited-no-test", "fixture-named-test",
                   "inherited-tests-only", "testcase-by-another-name", "decorated-not-a-test",
                   "shadowed-by-same-name", "load-tests-protocol",
                   "file-named-off-python-files"),
    "ready": ("own-no-test-decision", "declared-not-a-test", "test-helper-the-run-imports"),
}
FOLDED = {name for names in FOLDS.values() for name in names}


def _own_file(row: Row) -> str:
    return f"tests/unit/test_row_{row.id.replace('-', '_')}.py"


@pytest.mark.parametrize("row", [pytest.param(row, id=row.id, marks=row.marks) for row in ROWS])
def test_what_pytest_refused_is_judged_on_every_route(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], row: Row,
) -> None:
    monkeypatch.delenv("PYRAMID_RUN_ID", raising=False)
    project({".gitignore": IGNORE, "tests/unit/test_row.py": row.body, **row.extra},
            config=row.config, ini=row.ini, addopts=row.addopts)
    monkeypatch.chdir(pytester.path)
    seen = {}
    for route in (("serial",) if row.id in FOLDED else row.routes):
        verdict = judged(pytester, route, read_verdict, capsys, "refusals")
        seen[route] = verdict["decision"]
        assert verdict["decision"] == row.decision, (route, verdict["reasons"])
        if row.reason:
            said = [*verdict["reasons"], *(p["message"] for p in verdict["completeness"])]
            assert any(row.reason in text for text in said), (route, said)
    assert set(seen.values()) == {row.decision}


@pytest.mark.parametrize("decision", list(FOLDS))
def test_what_pytest_refused_is_judged_on_every_route_folded(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], decision: str,
) -> None:
    """The folded rows (:data:`FOLDS`) under -n 2 and as 2 shards + merge, in one project."""
    rows = [row for row in ROWS if row.id in FOLDS[decision]]
    assert len(rows) == len(FOLDS[decision])
    assert all(r.decision == decision and not (r.config or r.ini) and
               r.routes == ("serial", "n2", "shards") for r in rows)
    files = {_own_file(row): row.body for row in rows}
    for row in rows:
        assert not set(row.extra) & set(files), row.id
        files.update(row.extra)
    monkeypatch.delenv("PYRAMID_RUN_ID", raising=False)
    project({".gitignore": IGNORE, **files})
    monkeypatch.chdir(pytester.path)
    for route in ("n2", "shards"):
        verdict = judged(pytester, route, read_verdict, capsys, "refusals")
        assert verdict["decision"] == decision, (route, verdict["reasons"])
        said = [*verdict["reasons"], *(p["message"] for p in verdict["completeness"])]
        for row in rows:
            if row.reason:
                # a message lists every row's test of its kind, the row's own among them
                # (its " (why)" follows the last one only)
                head, _, names = row.reason.replace(
                    "tests/unit/test_row.py", _own_file(row)).rpartition(": ")
                names = names.removesuffix(" (")
                assert any(head in line and names in line for line in said), (route, row.id,
                                                                              said)
