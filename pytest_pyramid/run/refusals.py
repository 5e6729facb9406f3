"""Tests on disk that pytest refused to run (hostile case 301): on disk = collected at the level
of the test, not only of the file. A test module pytest imported can still yield no item for a
test written in it: a ``Test*`` class with an ``__init__`` (a ``@dataclass`` too), one that
inherits ``__test__ = False`` or is abstract, a ``test_*`` function made a fixture; and a test
that ``return``\\ s its comparison "passes". The shapes are judged by an allow-list: a class
with its own test methods yields items unless its *own body* says ``__test__ = False`` (an
inherited one is no decision about it). The module's source says more (round 16a,
``run/source_shapes.py``): a test it defines where the import reaches that the module lacks,
an assert on a tuple, a docstring example doctest never collected. A facts record: every xdist
worker and every shard carries it; the scan itself (``refused_shapes``) is pure, fed by
:class:`RefusalWatch`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import sysconfig
import unittest
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from pytest_pyramid.run import case_facts
from pytest_pyramid.run.collection import shown_paths
from pytest_pyramid.run.facts import FactsRecord
from pytest_pyramid.run.source_shapes import SourceShapes, source_shapes

if TYPE_CHECKING:
    import warnings
    from collections.abc import Callable, Collection, Generator, Mapping
    from types import TracebackType

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
#: unittest's word that a test method returned a value (Python 3.11+; 3.10 says nothing): a
#: coroutine, a generator, a value - its body did not run, or its answer was thrown away
#: (hostile case 441). Made an error inside the method's call: unittest fails the test, as
#: pytest fails its own functions that return (one rule: a test that returns a value fails)
UNITTEST_RETURN = "It is deprecated to return a value that is not None from a test case"
#: the filters the plugin adds after the project's own (none of them turns these back)
RETURN_FILTERS: tuple[str, ...] = (
    *((RETURN_FILTER,) if RETURN_FILTER else ()), f"error:{UNITTEST_RETURN}:DeprecationWarning")


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


def undefined_tests(
    shapes: SourceShapes, names: Mapping[str, Any], class_name: Callable[[str], bool],
    function_name: Callable[[str], bool], declared: Collection[str] = (),
) -> list[tuple[str, str]]:
    """The test-named definitions the source reaches at import that are absent from the
    namespace pytest collected (hostile case 443: defined under an ``if``, ``try/else`` or
    ``with`` whose branch did not run: an optional import that failed), as (parent path,
    name): ``""`` for the module, ``A::B`` for a class. A class's are looked for in the class
    the module holds under that name (a ``TestCase``'s by unittest's ``test`` prefix); a
    definition inside an absent class is named with it. The project's allow-listed ways to
    leave a test out say so: ``pytest.importorskip``/``skip`` (the module skips: not
    scanned), a ``skipif`` mark, ``__test__ = False`` in the module's own body."""
    if not names.get("__test__", True):
        return []
    holders = {path[:-1] for path, is_class, _ in shapes.definitions if not is_class}
    found: list[tuple[str, str]] = []
    for path, is_class, _ in shapes.definitions:
        *parents, name = path
        owner: object = _resolve(names, parents)
        if owner is None:
            continue  # inside a class the module does not hold: named with that class
        if (is_class and path not in holders) or path in shapes.deleted:
            continue  # no method of its own: no test class to miss; or the body deleted it
        if not parents:
            wanted = (class_name if is_class else function_name)(name) and name not in declared
            present = name in names
        else:
            wanted = (class_name(name) if is_class else
                      name.startswith("test") if _is_case_object(owner) else function_name(name))
            present = hasattr(owner, name)
        if wanted and not present and (parent := "::".join(parents), name) not in found:
            found.append((parent, name))
    return found


def _resolve(names: Mapping[str, Any], parents: list[str]) -> object:
    """The class a definition's parents name in the module's namespace, None if absent."""
    owner: object = names
    for index, part in enumerate(parents):
        owner = (names if index == 0 else vars(owner)).get(part)
        if not isinstance(owner, type):
            return None
    return owner


def _is_case_object(owner: object) -> bool:
    return isinstance(owner, type) and _is_case(owner)


#: the methods through which unittest's own runner calls a test method: a class that keeps
#: all three calls it plainly (``IsolatedAsyncioTestCase`` overrides them to await)
_PLAIN_RUNNER = ("run", "__call__", "_callTestMethod")


def unrun_methods(cls: type, function_name: Callable[[str], bool]) -> list[tuple[str, str]]:
    """A ``unittest.TestCase``'s test methods whose body its runner never runs (hostile case
    441): an ``async def`` (a coroutine nobody awaits) or a generator (nobody iterates it),
    when the class runs its tests through unittest's plain runner; a class with a runner of
    its own (``IsolatedAsyncioTestCase``, a framework's) is judged by its outcome. The
    object unittest calls is judged, not what a decorator wraps (a sync wrapper runs it)."""
    if not _is_case(cls) or any(getattr(cls, name, None) is not getattr(unittest.TestCase, name)
                                for name in _PLAIN_RUNNER):
        return []
    found = []
    for name, value in class_tests(cls, function_name).items():
        func = _unwrapped(value)
        if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
            found.append((name, "async def"))
        elif inspect.isgeneratorfunction(func):
            found.append((name, "a generator"))
    return found


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
        "undefined": "union",
        "unrun": "union",
        "tuple_asserts": "union",
        "doctests": "union",
        "empty": "union",
        "foreign_skips": "union",
        "unhandled": "union",
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
        #: test definitions the source reaches at import that the namespace lacks (443)
        self.undefined: list[str] = []
        #: TestCase methods unittest's plain runner never runs: async def, generators (441)
        self.unrun: list[str] = []
        #: ``path:line`` of asserts on a non-empty tuple: always true (445)
        self.tuple_asserts: list[str] = []
        #: docstrings with an example in a doctest-collected module that got no item (446)
        self.doctests: list[str] = []
        #: tests pytest made for an empty parameter set: they ran zero cases (442)
        self.empty: list[str] = []
        #: tests skipped by words raised in installed code, not the project's (442)
        self.foreign_skips: list[str] = []
        #: tests pytest tied an exception nobody caught to (a thread, a finalizer: 444)
        self.unhandled: list[str] = []

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
                (self.undefined, "test(s) in the source were never defined when the module "
                 "was imported", " (a branch of an if/try/with that did not run: an optional "
                 "import that failed? leave a test out with pytest.importorskip or a skipif "
                 "mark, which count as skips)"),
                (self.unrun, "unittest test method(s) never ran their body",
                 " (unittest's plain runner neither awaits an async def nor iterates a "
                 "generator: use IsolatedAsyncioTestCase, or remove the yield)"),
                (self.doctests, "docstring example(s) in a doctest-collected module were "
                 "never collected", " (doctest's finder did not reach the docstring: a "
                 "decorator without functools.wraps hides it, or the name is bound to "
                 "another object)"),
                (self.empty, "test(s) ran zero cases: the parameter set was empty",
                 " (pytest skips such a test by itself; give it cases, or set "
                 "empty_parameter_set_mark in the tracked configuration to make an empty set "
                 "the project's decision)"),
                (self.foreign_skips, "test(s) were skipped by code outside the project",
                 " (a library or plugin skipped them, e.g. Hypothesis with no phase left to "
                 "run: a skip counts when the project wrote it, as a skip/skipif mark or "
                 "pytest.skip in its own code)"),
            ) if names]
        if self.tuple_asserts:
            found.append({"kind": "always_true_assert", "message": (
                f"{len(self.tuple_asserts)} assert(s) on a non-empty tuple, always true "
                f"(remove the parentheses around the condition and its message): "
                f"{shown_paths(sorted(self.tuple_asserts))}")})
        if self.warnings:
            found.append({"kind": KIND, "message": (
                "pytest refused to collect tests (PytestCollectionWarning): "
                f"{shown_paths(sorted(self.warnings))}")})
        if self.unhandled:
            found.append({"kind": "unhandled_exception", "message": (
                f"{len(self.unhandled)} test(s) raised an exception nobody caught, which "
                f"pytest tied to them as a warning and let pass: "
                f"{shown_paths(sorted(self.unhandled))} (fix the test; a project that "
                f"accepts it says so in its tracked filterwarnings)")})
        if self.returned:
            found.append({"kind": "returned_value", "message": (
                f"{len(self.returned)} test(s) returned a value instead of asserting it "
                f"(pytest's or unittest's warning; the answer was thrown away): "
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


#: a module's source facts: its shadowed names, the names its body declares no test, its shapes
_Parsed = tuple[list[str], set[str], SourceShapes]


def _parse(collector: pytest.Module) -> _Parsed:
    from pytest_pyramid.run.imported import read_source

    try:  # the bytes the import read: a file is read once (test_reads_once)
        tree = ast.parse(read_source(str(collector.path)))
    except (OSError, SyntaxError, ValueError):
        return [], set(), SourceShapes()  # it imported: a source that does not parse is no text
    shadowed, declared = shadowed_definitions(tree, collector.classnamefilter,
                                              collector.funcnamefilter)
    return shadowed, declared, source_shapes(tree)


def doctest_names(module_name: str, names: Collection[str]) -> set[str]:
    """The qualified names doctest items were made for (``""``: the module's docstring): an
    item is named ``module.qualname`` by doctest's finder."""
    return {"" if name == module_name else name.removeprefix(f"{module_name}.")
            for name in names}


class RefusalWatch:
    """The pytest glue: each test module pytest imported is scanned once, after its own
    collection (O(names in it), never per test); pytest's own warnings are taken as they come
    (``pytest_warning_recorded`` is historic: an xdist controller gets the workers' too)."""

    def __init__(self, record: RefusedTests) -> None:
        self.record = record
        self._candidates: list[str] = []
        #: (parent node id, name): test-named callables that must be among its items
        self._functions: list[tuple[str, str]] = []
        #: (parent node id, name): test definitions the module's namespace lacks
        self._undefined: list[tuple[str, str]] = []
        #: node id of each module and class collected -> the names of what it yielded
        self._yielded: dict[str, set[str]] = {}
        #: a file's source facts, for its test module and its doctest module (parsed once)
        self._parsed: dict[str, _Parsed] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.Module) and report.passed:
            module = getattr(collector, "_obj", None)  # imported by its collection
            if module is None:
                pass
            elif isinstance(collector, _doctest_module()):
                self._doctests(collector, module.__name__, report)
            else:
                self._scan(collector, vars(module))
        return report

    def _parsed_once(self, collector: pytest.Module) -> _Parsed:
        key = str(collector.path)
        if key not in self._parsed:
            self._parsed[key] = _parse(collector)
        return self._parsed[key]

    def _doctests(self, collector: pytest.Module, module_name: str,
                  report: pytest.CollectReport) -> None:
        """A collected doctest module: each docstring with an example must have its item."""
        examples = self._parsed_once(collector)[2].examples
        if not examples:
            return
        got = doctest_names(module_name, [node.name for node in report.result])
        for qualname in examples:
            if qualname not in got:
                self.record.add(self.record.doctests,
                                f"{collector.nodeid}::{qualname or '(module docstring)'}")

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
        shadowed, declared, shapes = self._parsed_once(collector)
        for entry in shadowed:
            self.record.add(self.record.shadowed, f"{prefix}::{entry}")
        for line in shapes.tuple_asserts:
            self.record.add(self.record.tuple_asserts, f"{prefix}:{line}")
        self._undefined.extend(
            (f"{prefix}::{parent}" if parent else prefix, name) for parent, name
            in undefined_tests(shapes, names, collector.classnamefilter, is_test, declared))
        self._functions.extend((prefix, n) for n in must_yield(names, is_test, _is_fixture,
                                                                declared))
        for nodeid in classes:
            cls = names[nodeid.rsplit("::", 1)[1]]
            for name, what in unrun_methods(cls, is_test):
                self.record.add(self.record.unrun, f"{nodeid}::{name} ({what})")
            if not _is_case(cls):  # unittest's loader takes any callable test* method
                self._functions.extend((nodeid, n) for n in must_yield(
                    class_tests(cls, is_test), lambda _: True, _is_fixture))

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.passed:
            names = self._yielded.setdefault(report.nodeid, set())
            names.update(getattr(node, "originalname", node.name) for node in report.result)

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._empty_cases(session)
        for nodeid in self._candidates:
            if not self._yielded.get(nodeid):
                self.record.add(self.record.classes, nodeid)
        for parent, name in self._functions:
            got = self._yielded.get(parent)
            # a class that yielded nothing is named whole, above
            if got is not None and name not in got and parent not in self.record.classes:
                self.record.add(self.record.functions, f"{parent}::{name}")
        for parent, name in self._undefined:
            got = self._yielded.get(parent)  # a module or class collected: it yields them
            if got is not None and name not in got and parent not in self.record.classes:
                self.record.add(self.record.undefined, f"{parent}::{name}")
        self._candidates = []
        self._functions = []
        self._undefined = []
        self._yielded = {}
        self._parsed = {}

    def _empty_cases(self, session: pytest.Session) -> None:
        """The items pytest made for an empty parameter set (442): once per collection,
        O(items); none when the tracked configuration sets ``empty_parameter_set_mark``
        (the project decided what an empty set means: its items keep pytest's reason)."""
        if _decided_empty(session.config):
            return
        from _pytest.compat import NOTSET

        for item in session.items:
            callspec = getattr(item, "callspec", None)
            if callspec is not None and case_facts.empty_case(callspec.params.values(), NOTSET):
                name = getattr(item, "originalname", item.name)
                parent = item.parent.nodeid if item.parent is not None else ""
                self.record.add(self.record.empty, f"{parent}::{name}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None],
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        raised = call.excinfo  # before pytest's unittest plugin turns a SkipTest into its own
        report = yield
        if report.skipped and not hasattr(report, "wasxfail"):
            self._skipped(item, raised or call.excinfo, report)
        return report

    def _skipped(self, item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException] | None,
                 report: pytest.TestReport) -> None:
        """A skip counts when the project wrote it (442): a mark pytest evaluated, or words
        raised from the project's own code; one raised in installed code is named. Only
        skips pay: the hot path (a pass) never comes here."""
        site = _raise_site(excinfo.tb) if excinfo is not None else None
        if excinfo is None or site is None:
            return  # no traceback to place it
        if case_facts.counted_skip(site, str(item.config.rootpath), _INSTALLED, _MARK_SITES):
            return
        longrepr = report.longrepr
        reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(excinfo.value)
        self.record.add(self.record.foreign_skips,
                        case_facts.skip_entry(item.nodeid, reason, site))

    @pytest.hookimpl
    def pytest_warning_recorded(
        self, warning_message: warnings.WarningMessage, when: str, nodeid: str,
        location: tuple[str, int, str] | None,
    ) -> None:
        category = warning_message.category
        if when == "collect" and issubclass(category, pytest.PytestCollectionWarning):
            self.record.add(self.record.warnings, str(warning_message.message))
        elif when == "runtest" and nodeid and _returned(warning_message):
            self.record.add(self.record.returned, nodeid)
        elif issubclass(category, _UNHANDLED):  # pytest's finding about the test (444)
            entry = case_facts.unhandled_entry(nodeid, category.__name__,
                                               str(warning_message.message))
            if entry is not None:
                self.record.add(self.record.unhandled, entry)


#: pytest's warnings for an exception nobody caught (a thread's, a finalizer's)
_UNHANDLED: tuple[type[Warning], ...] = tuple(
    getattr(pytest, name) for name in case_facts.UNHANDLED if hasattr(pytest, name))
#: the interpreter's library folders: code under them is installed, not the project's (not
#: its prefixes: a project in /usr/src/app lies under a system Python's /usr)
_INSTALLED = tuple(sorted({path for key, path in sysconfig.get_paths().items()
                           if key in ("stdlib", "platstdlib", "purelib", "platlib")}))


def _pytest_module(name: str) -> str:
    import _pytest

    return os.path.normpath(os.path.join(os.path.dirname(_pytest.__file__ or ""), name))


#: where ``pytest.skip`` and ``pytest.importorskip`` raise (the words are their caller's)
_OUTCOMES = _pytest_module("outcomes.py")
#: pytest's modules that raise a skip the project's marks and directives asked for: skip and
#: skipif marks, unittest's skip decorators and skipTest, doctest's +SKIP
_MARK_SITES = frozenset(_pytest_module(name) for name in ("skipping.py", "unittest.py",
                                                          "doctest.py"))


def _decided_empty(config: pytest.Config) -> bool:
    """Whether the configuration file sets ``empty_parameter_set_mark`` (``-o`` overrides are
    judged apart: run/invocation.py)."""
    values = getattr(config, "_inicfg", None)  # pytest 9: values with their origin
    if isinstance(values, dict):
        value = values.get(case_facts.EMPTY_MARK)
        return value is not None and getattr(value, "origin", "file") != "override"
    return case_facts.EMPTY_MARK in (getattr(config, "inicfg", None) or {})


def _raise_site(tb: TracebackType | None) -> str | None:
    """The file of the innermost frame of an exception's traceback that is not pytest's
    ``skip``/``importorskip`` themselves (their caller said it). Not pytest's own rule
    (``__tracebackhide__``): a wrapper that hides itself (Hypothesis's ``@given``) raises
    its own skip, and its generated frames carry the test's file name."""
    site = None
    while tb is not None:
        name = os.path.normpath(tb.tb_frame.f_code.co_filename)
        if name != _OUTCOMES:
            site = name
        tb = tb.tb_next
    return site


def _returned(warning_message: warnings.WarningMessage) -> bool:
    """pytest's or unittest's word that a test returned a value (a test's own filterwarnings
    mark let it through as a warning)."""
    category = warning_message.category
    if _RETURN_WARNING is not None and issubclass(category, _RETURN_WARNING):
        return True
    return (issubclass(category, DeprecationWarning)
            and str(warning_message.message).startswith(UNITTEST_RETURN))

