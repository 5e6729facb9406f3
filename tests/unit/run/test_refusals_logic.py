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
                      "(PytestReturnNotNoneWarning; the answer was thrown away)")]
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
