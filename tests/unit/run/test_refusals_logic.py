"""What pytest refused (hostile cases 301, 306), as pure tables: the test classes and
test-named fixtures a module holds, and whose failure a failed setup or teardown is."""

from __future__ import annotations

import abc
import ast
import unittest
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_pyramid.run.fixture_owner import UNPLACED, wider_fixture
from pytest_pyramid.run.refusals import (
    RefusedTests,
    must_yield,
    refused_shapes,
    shadowed_definitions,
)


def _fixture(func: Any) -> Any:
    func.is_fixture = True
    return func


def _shapes() -> dict[str, Any]:
    """A module's namespace (built here: a test module's own classes would be collected)."""

    class TestPlain:
        def test_a(self) -> None: ...

    class TestWithInit:
        def __init__(self) -> None: ...
        def test_a(self) -> None: ...

    class TestBase:
        __test__ = False

        def test_base(self) -> None: ...

    class TestInherits(TestBase):  # inherits __test__ = False: no decision about it
        def test_own(self) -> None: ...

    class TestOnlyInherited(TestBase):  # no test method of its own
        pass

    class TestAbstract(abc.ABC):
        @abc.abstractmethod
        def helper(self) -> None: ...
        def test_a(self) -> None:
            self.helper()

    @dataclass
    class TestData:
        amount: int = 2

        def test_a(self) -> None: ...

    class TestHelperOnly:
        value = 1

    def test_plain() -> None: ...

    @_fixture
    def test_fixture() -> None: ...

    class TestHasFixtureMethod:
        @_fixture
        def test_method(self) -> None: ...

    class CaseBase(unittest.TestCase):
        __test__ = False

        def test_status(self) -> None: ...

    class PaymentsTests(CaseBase):  # a TestCase by another name, forgot __test__ = True
        pass

    return {
        "TestPlain": TestPlain, "TestWithInit": TestWithInit, "TestBase": TestBase,
        "TestInherits": TestInherits, "TestOnlyInherited": TestOnlyInherited,
        "TestAbstract": TestAbstract, "TestData": TestData, "TestHelperOnly": TestHelperOnly,
        "test_plain": test_plain, "test_fixture": test_fixture, "Helper": TestPlain,
        "TestHasFixtureMethod": TestHasFixtureMethod,
        "PaymentsTests": PaymentsTests, "CaseBase": CaseBase, "TestCase": unittest.TestCase,
    }


def _scan(names: dict[str, Any]) -> tuple[list[str], list[str]]:
    return refused_shapes("t.py", names, lambda n: n.startswith("Test"),
                          lambda n: n.startswith("test"),
                          lambda obj: getattr(obj, "is_fixture", False))


def test_every_test_class_with_its_own_test_methods_must_yield() -> None:
    classes, fixtures = _scan(_shapes())
    # candidates: only their own body's __test__ = False (TestBase) leaves one out; inherited
    # test methods count (TestOnlyInherited, 346); a class without any (TestHelperOnly) is no
    # test class; a TestCase is collected by any name, a plain class (Helper) is not
    assert classes == ["t.py::TestPlain", "t.py::TestWithInit", "t.py::TestInherits",
                       "t.py::TestOnlyInherited", "t.py::TestAbstract", "t.py::TestData",
                       "t.py::TestHasFixtureMethod",
                       "t.py::PaymentsTests"]
    assert fixtures == ["t.py::test_fixture", "t.py::TestHasFixtureMethod::test_method"]


class _Retry:
    """A class-based decorator: its object is callable, not a function (pytest refuses it)."""

    def __init__(self, func: Any) -> None:
        self.func = func

    def __call__(self) -> None: ...


def _marked(func: Any) -> Any:
    func.__test__ = False
    return func


def _functions() -> dict[str, Any]:
    def test_plain() -> None: ...

    def test_declared() -> None: ...

    return {"test_plain": test_plain, "test_retried": _Retry(test_plain),
            "test_marked": _marked(test_plain), "test_declared": test_declared,
            "test_fixture": _fixture(lambda: None), "TestClass": _Retry,
            "helper": _Retry(test_plain), "test_value": 3}


@pytest.mark.parametrize(("declared", "expected"), [
    ((), ["test_plain", "test_retried", "test_marked", "test_declared"]),
    # the module's own body said test_declared.__test__ = False: its decision
    (("test_declared",), ["test_plain", "test_retried", "test_marked"]),
])
def test_every_test_named_callable_must_yield(declared: tuple[str, ...],
                                              expected: list[str]) -> None:
    assert must_yield(_functions(), lambda n: n.startswith("test"),
                      lambda obj: getattr(obj, "is_fixture", False), declared) == expected
    assert must_yield({**_functions(), "__test__": False}, lambda n: True, bool) == []


SHADOWED = """
def test_a(): ...
def test_a(): ...
async def test_b(): ...
def helper(): ...
def helper(): ...
if True:
    def test_c(): ...
else:
    def test_c(): ...
class TestX:
    def test_m(self): ...
    def test_m(self): ...
    def test_n(self): ...
class TestX: ...
class Cases:
    def test_u(self): ...
    def test_u(self): ...
test_b.__test__ = False
"""


def test_a_test_name_defined_twice_in_one_body_is_shadowed() -> None:
    shadowed, declared = shadowed_definitions(
        ast.parse(SHADOWED), lambda n: n.startswith("Test"), lambda n: n.startswith("test"))
    # helpers may be redefined; a definition under an `if` is one of two branches
    assert shadowed == ["Cases::test_u", "TestX", "TestX::test_m", "test_a"]
    assert declared == {"test_b"}


def test_a_module_that_says_it_is_no_test_module_is_not_scanned() -> None:
    assert _scan({**_shapes(), "__test__": False}) == ([], [])


def test_the_record_names_each_kind_once() -> None:
    record = RefusedTests()
    record.add(record.classes, "t.py::TestWithInit")
    record.add(record.classes, "t.py::TestWithInit")
    record.add(record.returned, "t.py::test_r")
    kinds = [(p["kind"], p["message"].split(":")[0]) for p in record.problems()]
    assert kinds == [("tests_not_collected", "1 test class(es) on disk yielded no test"),
                     ("returned_value", "1 test(s) returned a value instead of asserting it "
                      "(pytest's or unittest's warning; the answer was thrown away)")]
    assert RefusedTests().problems() == []


# -- whose failure a failed setup or teardown is (306) -----------------------------------------

@dataclass
class Definition:
    func: Any
    scope: str


def server() -> None:
    raise RuntimeError("server exited with status 139")


def own() -> None:
    raise RuntimeError("own fixture")


def calls_server() -> None:  # a function fixture using a module one that fails
    server()


def _raised(func: Any) -> BaseException:
    try:
        func()
    except RuntimeError as exc:
        return exc
    raise AssertionError("did not raise")


DEFS = {"server": [Definition(server, "module")], "own": [Definition(own, "function")],
        "calls_server": [Definition(calls_server, "function")]}


@pytest.mark.parametrize(("func", "owner"), [
    (server, "server (module)"),
    (own, None),
    # through a function fixture into a module one: the module fixture's failure
    (calls_server, "server (module)"),
    # in no fixture's code (an addfinalizer callback, a lookup error): not the test's own
    (lambda: (_ for _ in ()).throw(RuntimeError("finalizer")), UNPLACED),
])
def test_a_failed_setup_or_teardown_belongs_to_the_widest_fixture_it_ran(
    func: Any, owner: str | None
) -> None:
    assert wider_fixture(_raised(func), DEFS) == owner


class Group(Exception):
    """What pytest raises for several teardown errors (an exception group, 3.11's builtin)."""

    def __init__(self, members: list[BaseException]) -> None:
        super().__init__("teardowns")
        self.exceptions = members


def test_an_exception_group_of_teardowns_is_the_wider_fixtures() -> None:
    group = Group([_raised(own), _raised(server)])
    assert wider_fixture(group, DEFS) == "server (module)"
    assert wider_fixture(None, DEFS) == UNPLACED


# -- what the source defines, asserts and documents (round 16a: 441, 443, 445, 446) ------------

SOURCE = '''"""Module doc.

>>> 1
1
"""
try:
    import missing_here
except ImportError:
    def test_in_except(): ...
else:
    def test_in_else(): ...
finally:
    def test_in_finally(): ...
if HAVE:
    def test_in_if(): ...
    class TestOptional:
        def test_m(self): ...
with ctx():
    def test_in_with(): ...
for _ in ():
    def test_in_for(): ...
def helper():
    """No example."""
    def test_nested(): ...
    assert (1, "nested")
def add():
    """
      >>> add()
    """
class TestShown:
    """>>> TestShown"""
    if HAVE:
        def test_method(self): ...
    def shown(self):
        """x
        >>> 2"""
        assert (), "an empty tuple is false"
assert (False, "always true")
def add():
    """A later definition without an example."""
'''


def test_the_source_walk_reaches_every_definition_the_import_can_run() -> None:
    from pytest_pyramid.run.source_shapes import source_shapes

    shapes = source_shapes(ast.parse(SOURCE))
    assert [(".".join(path), is_class) for path, is_class, _ in shapes.definitions] == [
        ("test_in_except", False), ("test_in_else", False), ("test_in_finally", False),
        ("test_in_if", False), ("TestOptional", True), ("TestOptional.test_m", False),
        ("test_in_with", False), ("test_in_for", False), ("helper", False), ("add", False),
        ("TestShown", True), ("TestShown.test_method", False), ("TestShown.shown", False),
        ("add", False)]
    # a function's body is walked for asserts only; an empty tuple is false, no finding
    assert shapes.tuple_asserts == [25, 38]
    # the last `add` has no example: the first one's is not the module's
    assert shapes.examples == {"": 1, "TestShown": 30, "TestShown.shown": 34}


def _namespace() -> dict[str, Any]:
    class TestShown:
        def shown(self) -> None: ...

    class TestCaseShown(unittest.TestCase):
        def test_present(self) -> None: ...

    def test_in_except() -> None: ...

    return {"test_in_except": test_in_except, "TestShown": TestShown,
            "TestCaseShown": TestCaseShown, "add": test_in_except}


UNDEFINED = '''
try:
    import missing_here
except ImportError:
    def test_in_except(): ...
else:
    def test_in_else(): ...
    def helper_in_else(): ...
if HAVE:
    class TestOptional:
        def test_m(self): ...
    class TestNoMethods:
        value = 1
    def test_declared(): ...
class TestShown:
    if HAVE:
        def test_method(self): ...
        def check_method(self): ...
    def shown(self): ...
class TestCaseShown:
    if HAVE:
        def test_absent(self): ...
    def test_present(self): ...
for n in range(2):
    def test_made(): ...
    globals()[f"test_made_{n}"] = test_made
    del test_made
'''


@pytest.mark.parametrize(("namespace", "expected"), [
    # absent: defined in a branch that did not run; a class absent is named whole; a helper,
    # a class without methods, a name the body declares no test or deletes are not
    (_namespace(), [("", "test_in_else"), ("", "TestOptional"), ("TestShown", "test_method"),
                    ("TestCaseShown", "test_absent")]),
    # a module that says it is no test module
    ({**_namespace(), "__test__": False}, []),
])
def test_a_test_the_source_defines_must_be_in_the_namespace(
    namespace: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    from pytest_pyramid.run.refusals import undefined_tests
    from pytest_pyramid.run.source_shapes import source_shapes

    shapes = source_shapes(ast.parse(UNDEFINED))
    assert undefined_tests(shapes, namespace, lambda n: n.startswith("Test"),
                           lambda n: n.startswith("test"), {"test_declared"}) == expected


def _cases() -> dict[str, type]:
    import functools

    def sync_runner(func: Any) -> Any:
        @functools.wraps(func)
        def run(*args: Any) -> None:
            func(*args)  # would run it in a loop: the object unittest calls is sync
        return run

    class Plain(unittest.TestCase):
        async def test_async(self) -> None: ...

        def test_gen(self) -> Any:
            yield

        async def test_agen(self) -> Any:
            yield

        def test_ok(self) -> None: ...

        @sync_runner
        async def test_wrapped(self) -> None: ...

        async def helper(self) -> None: ...

    class Awaited(unittest.IsolatedAsyncioTestCase):
        async def test_async(self) -> None: ...

    class OwnRunner(unittest.TestCase):  # a framework's runner (Django's converts async)
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return super().__call__(*args, **kwargs)

        async def test_async(self) -> None: ...

    class NotACase:
        async def test_async(self) -> None: ...

    return {"Plain": Plain, "Awaited": Awaited, "OwnRunner": OwnRunner, "NotACase": NotACase}


@pytest.mark.parametrize(("name", "expected"), [
    ("Plain", [("test_async", "async def"), ("test_gen", "a generator"),
               ("test_agen", "async def")]),
    ("Awaited", []),
    ("OwnRunner", []),
    ("NotACase", []),
])
def test_a_testcase_method_its_plain_runner_never_runs(
    name: str, expected: list[tuple[str, str]]
) -> None:
    from pytest_pyramid.run.refusals import unrun_methods

    assert unrun_methods(_cases()[name], lambda n: n.startswith("test")) == expected


@pytest.mark.parametrize(("names", "expected"), [
    (["pkg.core", "pkg.core.add", "pkg.core.Cls.method"], {"", "add", "Cls.method"}),
    ([], set()),
])
def test_doctest_items_are_named_by_qualified_name(names: list[str],
                                                   expected: set[str]) -> None:
    from pytest_pyramid.run.refusals import doctest_names

    assert doctest_names("pkg.core", names) == expected
