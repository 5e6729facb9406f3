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

import importlib
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from pytest_pyramid.run.collection import shown_paths
from pytest_pyramid.run.facts import FactsRecord

if TYPE_CHECKING:
    import warnings
    from collections.abc import Callable, Generator, Mapping

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
    module's namespace; a module whose own ``__test__`` is false is the project's decision."""
    if not names.get("__test__", True):
        return [], []
    classes: list[str] = []
    fixtures: list[str] = []
    for name, obj in names.items():
        if isinstance(obj, type):
            if not class_name(name):
                continue
            body = vars(obj)
            if not body.get("__test__", True):
                continue  # decided in the class's own body
            own = [n for n, v in body.items() if function_name(n) and callable(v)]
            if own:
                classes.append(f"{prefix}::{name}")
            fixtures.extend(f"{prefix}::{name}::{n}" for n in own if is_fixture(body[n]))
        elif function_name(name) and is_fixture(obj):
            fixtures.append(f"{prefix}::{name}")
    return classes, fixtures


class RefusedTests(FactsRecord):
    """What pytest refused in the collecting process (every worker and shard ships it)."""

    POLICIES: ClassVar[Mapping[str, Policy]] = {
        "classes": "union",
        "fixtures": "union",
        "warnings": "union",
        "returned": "union",
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

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        if self.classes:
            found.append({"kind": KIND, "message": (
                f"{len(self.classes)} test class(es) on disk yielded no test: "
                f"{shown_paths(sorted(self.classes))} (pytest refused them: an __init__, an "
                "inherited __test__ = False, abstract; set __test__ = False in the class's "
                "own body when it is not a test)")})
        if self.fixtures:
            found.append({"kind": KIND, "message": (
                f"{len(self.fixtures)} test function(s) are fixtures and never ran as "
                f"tests: {shown_paths(sorted(self.fixtures))}")})
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


class RefusalWatch:
    """The pytest glue: each test module pytest imported is scanned once, after its own
    collection (O(names in it), never per test); pytest's own warnings are taken as they come
    (``pytest_warning_recorded`` is historic: an xdist controller gets the workers' too)."""

    def __init__(self, record: RefusedTests) -> None:
        self.record = record
        self._candidates: list[str] = []
        #: node ids of the collectors that yielded anything
        self._yielded: set[str] = set()

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.Module) and report.passed:
            module = getattr(collector, "_obj", None)  # imported by its collection
            if module is not None:
                classes, fixtures = refused_shapes(
                    collector.nodeid, vars(module), collector.classnamefilter,
                    collector.funcnamefilter, _is_fixture)
                self._candidates.extend(classes)
                for entry in fixtures:
                    self.record.add(self.record.fixtures, entry)
        return report

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.result:
            self._yielded.add(report.nodeid)

    @pytest.hookimpl
    def pytest_collection_finish(self) -> None:
        for nodeid in self._candidates:
            if nodeid not in self._yielded:
                self.record.add(self.record.classes, nodeid)
        self._candidates = []
        self._yielded = set()

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

