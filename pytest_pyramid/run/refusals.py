"""Tests on disk that pytest refused to run (hostile case 301): on disk = collected at the level
of the test, not only of the file. A test module pytest imported can still yield no item for a
test written in it: a ``Test*`` class with an ``__init__`` (a ``@dataclass`` too), one that
inherits ``__test__ = False`` or is abstract, a ``test_*`` function made a fixture; and a test
that ``return``\\ s its comparison "passes". The shapes are judged by an allow-list: a class
with its own test methods yields items unless its *own body* says ``__test__ = False`` (an
inherited one is no decision about it). A facts record: every xdist worker and every shard
carries it; the scan itself (``refused_shapes``) is pure, fed by :class:`RefusalWatch`.
"""

from __future__ import annotations

import ast
import importlib
import unittest
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from pytest_pyramid.run.collection import shown_paths
from pytest_pyramid.run.facts import FactsRecord

if TYPE_CHECKING:
    import warnings
    from collections.abc import Callable, Collection, Generator, Mapping

    from pytest_pyramid.run.facts import Policy
    from pytest_pyramid.run.summary import Problem

#: the kind of the completeness problem: tests on disk that never ran
KIND = "tests_not_collected"
#: the filter that makes a returned value the test's failure (a test's own filterwarnings mark,
#: the project's tracked decision, still wins: then the warning is named here)
#: pytest's warning that a test returned a value (pytest 8.4, the floor, has none: there such a
#: test fails by pytest's own rule, so no filter is needed)
_NAME = "PytestReturnNotNoneWarning"
#: where it lives (None: this pytest has none)
_RETURN_MODULE = next((module for module in ("pytest", "_pytest.warning_types")
                       if hasattr(importlib.import_module(module), _NAME)), None)
_RETURN_WARNING: type[Warning] | None = (
    getattr(importlib.import_module(_RETURN_MODULE), _NAME) if _RETURN_MODULE else None)
RETURN_FILTER: str | None = f"error::{_RETURN_MODULE}.{_NAME}" if _RETURN_MODULE else None


def refused_shapes(
    prefix: str,
    names: Mapping[str, Any],
    class_name: Callable[[str], bool],
    function_name: Callable[[str], bool],
    is_fixture: Callable[[object], bool],
) -> tuple[list[str], list[str]]:
    """The test classes of a module that must yield items (``prefix::Name``: the class's node
    id), and its test-named functions that are fixtures (never run as tests). ``names`` is the
    module's namespace; a module whose own ``__test__`` is false is the project's decision.
    A class pytest would collect (a ``python_classes`` name, or any ``unittest.TestCase``:
    pytest's unittest plugin takes them by any name) holding test methods, its own or
    inherited, must yield unless its *own body* says ``__test__ = False`` (hostile case 346:
    a subclass of a shared base that forgot ``__test__ = True``)."""
    if not names.get("__test__", True):
        return [], []
    classes: list[str] = []
    fixtures: list[str] = []
    for name, obj in names.items():
        if isinstance(obj, type):
            if not (class_name(name) or _is_case(obj)):
                continue
            body = vars(obj)
            if not body.get("__test__", True):
                continue  # decided in the class's own body
            tests = class_tests(obj, function_name)
            if tests:
                classes.append(f"{prefix}::{name}")
            fixtures.extend(f"{prefix}::{name}::{n}" for n, v in tests.items() if is_fixture(v))
        elif function_name(name) and is_fixture(obj):
            fixtures.append(f"{prefix}::{name}")
    return classes, fixtures


def defines_load_tests(names: Mapping[str, Any]) -> bool:
    """A module with unittest's ``load_tests`` protocol (hostile case 404): ``python -m
    unittest`` runs the tests that function adds, pytest never calls it. A module whose own
    ``__test__`` is false is no test module."""
    return bool(names.get("__test__", True)) and callable(names.get("load_tests"))


def _is_case(cls: type) -> bool:
    return issubclass(cls, unittest.TestCase)


def class_tests(cls: type, function_name: Callable[[str], bool]) -> dict[str, object]:
    """A class's test-named callables, own and inherited (the nearest definition wins, as in
    the class's namespace): O(names in its bases). A ``TestCase``'s are unittest's
    ``test*`` methods."""
    named = (lambda n: n.startswith("test")) if _is_case(cls) else function_name
    found: dict[str, object] = {}
    for klass in cls.__mro__:
        if klass is object or klass.__module__ == "unittest.case":
            continue
        for name, value in vars(klass).items():
            if name not in found and named(name) and callable(_unwrapped(value)):
                found[name] = value
    return found


def _unwrapped(value: object) -> object:
    return value.__func__ if isinstance(value, (staticmethod, classmethod)) else value


def must_yield(
    names: Mapping[str, Any], function_name: Callable[[str], bool],
    is_fixture: Callable[[object], bool], declared: Collection[str] = (),
) -> list[str]:
    """The test-named callables of a namespace (a module's or a collected class's) that must
    each yield an item: not classes, not fixtures (named apart), not marked ``__test__ =
    False`` by the module's own body (``declared``). pytest refuses a callable that is not a
    function (with a warning a project's filter can silence: hostile case 352) and a function
    a decorator marked ``__test__ = False`` (346 c): whichever, it yields nothing."""
    if not names.get("__test__", True):
        return []
    return [name for name, obj in names.items()
            if function_name(name) and not isinstance(obj, type) and name not in declared
            and callable(_unwrapped(obj)) and not is_fixture(_unwrapped(obj))]


def shadowed_definitions(
    tree: ast.Module, class_name: Callable[[str], bool], function_name: Callable[[str], bool],
) -> tuple[list[str], set[str]]:
    """From a module's syntax tree: the test names defined twice in one body (the module's or
    a class's: only the last definition lives in the namespace pytest collects, so the first
    never runs; hostile case 348), as ``name`` / ``Class::name``; and the names whose
    ``__test__`` the module's own body sets (``test_x.__test__ = False``: its decision)."""
    shadowed: list[str] = []
    declared: set[str] = set()
    defined: Counter[str] = Counter()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            if class_name(node.name):
                defined[node.name] += 1
            methods = Counter(n.name for n in node.body if isinstance(n, _DEFS)
                              and (function_name(n.name) or n.name.startswith("test")))
            shadowed.extend(f"{node.name}::{n}" for n, count in methods.items() if count > 1)
        elif isinstance(node, _DEFS) and function_name(node.name):
            defined[node.name] += 1
        elif isinstance(node, ast.Assign):
            declared.update(t.value.id for t in node.targets if isinstance(t, ast.Attribute)
                            and t.attr == "__test__" and isinstance(t.value, ast.Name))
    shadowed.extend(n for n, count in defined.items() if count > 1)
    return sorted(shadowed), declared


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


class RefusedTests(FactsRecord):
    """What pytest refused in the collecting process (every worker and shard ships it)."""

    POLICIES: ClassVar[Mapping[str, Policy]] = {
        "classes": "union",
        "fixtures": "union",
        "warnings": "union",
        "returned": "union",
        "functions": "union",
        "shadowed": "union",
        "load_tests": "union",
    }

    def __init__(self) -> None:
        #: test classes with their own test methods that yielded no item
        self.classes: list[str] = []
        #: test-named functions that are fixtures
        self.fixtures: list[str] = []
        #: pytest's own collection warnings (``PytestCollectionWarning``): what it refused
        self.warnings: list[str] = []
        #: tests that returned a value (``PytestReturnNotNoneWarning``): the answer thrown away
        self.returned: list[str] = []
        #: test-named callables that yielded no item (not a function, or marked not a test)
        self.functions: list[str] = []
        #: tests shadowed by a later definition of the same name in the same body
        self.shadowed: list[str] = []
        #: test modules with unittest's ``load_tests``: the tests it adds never run
        self.load_tests: list[str] = []

    def problems(self) -> list[Problem]:
        found: list[Problem] = [
            {"kind": KIND, "message": f"{len(names)} {what}: {shown_paths(sorted(names))}{why}"}
            for names, what, why in (
                (self.classes, "test class(es) on disk yielded no test",
                 " (pytest refused them: an __init__, an inherited __test__ = False, abstract; "
                 "set __test__ = False in the class's own body when it is not a test)"),
                (self.fixtures, "test function(s) are fixtures and never ran as tests", ""),
                (self.functions, "test function(s) on disk yielded no test",
                 " (pytest refused them: not a function, or __test__ = False set by a "
                 "decorator; say test_x.__test__ = False in the module's own body when it is "
                 "not a test)"),
                (self.shadowed, "test(s) on disk never ran, shadowed by a later definition of "
                 "the same name", " (only the last definition is collected; give each test "
                 "its own name)"),
                (self.load_tests, "test module(s) define unittest's load_tests",
                 " (pytest does not honour that protocol: the tests it adds, doctests or "
                 "generated cases, never run; collect them with --doctest-modules or "
                 "parametrize, and remove load_tests)"),
            ) if names]
        if self.warnings:
            found.append({"kind": KIND, "message": (
                "pytest refused to collect tests (PytestCollectionWarning): "
                f"{shown_paths(sorted(self.warnings))}")})
        if self.returned:
            found.append({"kind": "returned_value", "message": (
                f"{len(self.returned)} test(s) returned a value instead of asserting it "
                f"(PytestReturnNotNoneWarning; the answer was thrown away): "
                f"{shown_paths(sorted(self.returned))}")})
        return found

    def add(self, field: list[str], entry: str) -> None:
        if entry not in field:
            field.append(entry)


def _is_fixture(obj: object) -> bool:
    from _pytest.fixtures import getfixturemarker

    return getfixturemarker(obj) is not None


def _doctest_module() -> type:
    # a doctest module is a Module too (pytest 8): its items are the docstrings' examples
    from _pytest.doctest import DoctestModule

    return DoctestModule


def _definitions(collector: pytest.Module) -> tuple[list[str], set[str]]:
    from pytest_pyramid.run.imported import read_source

    try:  # the bytes the import read: a file is read once (test_reads_once)
        tree = ast.parse(read_source(str(collector.path)))
    except (OSError, SyntaxError, ValueError):
        return [], set()  # it imported: a source that does not parse is no test text
    return shadowed_definitions(tree, collector.classnamefilter, collector.funcnamefilter)


class RefusalWatch:
    """The pytest glue: each test module pytest imported is scanned once, after its own
    collection (O(names in it), never per test); pytest's own warnings are taken as they come
    (``pytest_warning_recorded`` is historic: an xdist controller gets the workers' too)."""

    def __init__(self, record: RefusedTests) -> None:
        self.record = record
        self._candidates: list[str] = []
        #: (parent node id, name): test-named callables that must be among its items
        self._functions: list[tuple[str, str]] = []
        #: node id of each module and class collected -> the names of what it yielded
        self._yielded: dict[str, set[str]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if (isinstance(collector, pytest.Module) and report.passed
                and not isinstance(collector, _doctest_module())):
            module = getattr(collector, "_obj", None)  # imported by its collection
            if module is not None:
                self._scan(collector, vars(module))
        return report

    def _scan(self, collector: pytest.Module, names: Mapping[str, Any]) -> None:
        """One module: its namespace, and its syntax tree (one read and parse of the file)."""
        prefix = collector.nodeid
        is_test = collector.funcnamefilter
        classes, fixtures = refused_shapes(prefix, names, collector.classnamefilter, is_test,
                                           _is_fixture)
        self._candidates.extend(classes)
        if defines_load_tests(names):
            self.record.add(self.record.load_tests, prefix)
        for entry in fixtures:
            self.record.add(self.record.fixtures, entry)
        shadowed, declared = _definitions(collector)
        for entry in shadowed:
            self.record.add(self.record.shadowed, f"{prefix}::{entry}")
        self._functions.extend((prefix, n) for n in must_yield(names, is_test, _is_fixture,
                                                                declared))
        for nodeid in classes:
            cls = names[nodeid.rsplit("::", 1)[1]]
            if not _is_case(cls):  # unittest's loader takes any callable test* method
                self._functions.extend((nodeid, n) for n in must_yield(
                    class_tests(cls, is_test), lambda _: True, _is_fixture))

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.passed:
            names = self._yielded.setdefault(report.nodeid, set())
            names.update(getattr(node, "originalname", node.name) for node in report.result)

    @pytest.hookimpl
    def pytest_collection_finish(self) -> None:
        for nodeid in self._candidates:
            if not self._yielded.get(nodeid):
                self.record.add(self.record.classes, nodeid)
        for parent, name in self._functions:
            got = self._yielded.get(parent)
            # a class that yielded nothing is named whole, above
            if got is not None and name not in got and parent not in self.record.classes:
                self.record.add(self.record.functions, f"{parent}::{name}")
        self._candidates = []
        self._functions = []
        self._yielded = {}

    @pytest.hookimpl
    def pytest_warning_recorded(
        self, warning_message: warnings.WarningMessage, when: str, nodeid: str,
        location: tuple[str, int, str] | None,
    ) -> None:
        category = warning_message.category
        if when == "collect" and issubclass(category, pytest.PytestCollectionWarning):
            self.record.add(self.record.warnings, str(warning_message.message))
        elif (when == "runtest" and _RETURN_WARNING is not None
              and issubclass(category, _RETURN_WARNING) and nodeid):
            self.record.add(self.record.returned, nodeid)

