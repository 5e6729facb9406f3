"""Hostile cases 400, 401, 404 as pure tables: what a parametrized test's id stands for (its
values' digest, agreed between processes), the argsfiles a tracked addopts names, and a
module with unittest's ``load_tests``."""

from __future__ import annotations

import enum
import functools
import io
import sys
import threading
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_pyramid.run.collection import CollectionFacts
from pytest_pyramid.run.invocation import (
    ADDOPTS_ARGSFILE,
    argsfiles_own,
    split_argsfiles,
)
from pytest_pyramid.run.param_values import (
    _BUDGET,
    UNREPRODUCIBLE,
    selection_values_digest,
    stable_text,
    told_apart,
    values_digest,
)
from pytest_pyramid.run.refusals import defines_load_tests

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


class Colour(enum.Enum):
    RED = 1


class Plain:
    pass


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def norm(self) -> int:
        return abs(self.x) + abs(self.y)


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a = 1


class Node:
    def __init__(self) -> None:
        self.me = self


class Unsortable:
    def __init__(self) -> None:
        cast("dict[object, object]", vars(self))[1] = "one"
        self.two = 2


class Buffer(io.BytesIO):
    """A plain-looking class on a C type: its state is in no attribute."""


def helper(*args: object, **kwargs: object) -> None:
    pass


def closure(n: int) -> Any:
    def inner() -> int:
        return n
    return inner


POINT = f"{__name__}.Point(x=1, y=2)"


@pytest.mark.parametrize(("make", "text"), [
    (lambda: ("alpha", 1), "tuple('alpha', 1)"),
    (lambda: [1, 2.5, None], "list(1, 2.5, None)"),
    # sorted: a set's repr follows the hash seed
    (lambda: frozenset({"b", "a", "c"}), "frozenset('a', 'b', 'c')"),
    (lambda: {"k": (1,)}, "dict('k': tuple(1))"),
    (lambda: Colour.RED, "<Colour.RED: 1>"),
    (lambda: helper, f"<function {__name__}.helper>"),  # named, as its id names it
    (lambda: Plain, f"<type {__name__}.Plain>"),
    (lambda: sys, "<module sys>"),
    (lambda: len, "<built-in builtins.len>"),
    # a plain class's instance: its type and attributes, not its address
    (lambda: Plain(), f"{__name__}.Plain()"),
    (lambda: Point(1, 2), POINT),
    (lambda: (1, Point(1, 2)), f"tuple(1, {POINT})"),
    (lambda: {"k": Point(1, 2)}, f"dict('k': {POINT})"),
    (lambda: {Point(1, 2)}, f"set({POINT})"),
    (lambda: Slotted(), f"{__name__}.Slotted(a=1, b=<unset>)"),
    (lambda: Node(), f"{__name__}.Node(me=<cycle>)"),
    (lambda: object(), "builtins.object()"),  # told apart from another by told_apart, not here
    (lambda: functools.partial(helper, 1, k=2), f"<partial>(<function {__name__}.helper>, 1, k=2)"),
    (lambda: Point(1, 2).norm, f"<method norm>({POINT})"),
    (lambda: [].append, "<method append>(list())"),
    # no text another process gives alike: an address in what cannot be walked
    (lambda: threading.Lock(), None),
    (lambda: Buffer(b"x"), None),
    (lambda: (1, threading.Lock()), None),
    (lambda: {"k": threading.Lock()}, None),
    (lambda: functools.partial(print, threading.Lock()), None),
    (lambda: list(range(_BUDGET)), None),  # too large to vouch for
    (lambda: Unsortable(), None),  # attributes whose names do not sort
])
def test_a_value_has_a_stable_text_or_none(make: Callable[[], object], text: str | None) -> None:
    # made in the test: this table's own values have a stable text (an xdist run compares)
    assert stable_text(make()) == text


def test_functions_no_name_finds_are_told_apart_by_what_they_are() -> None:
    ones = [lambda: 1, lambda: 2]  # one line, one name
    defaults = [lambda n=n: n for n in range(2)]
    texts = [stable_text(f) for f in [*ones, *defaults, closure(1), closure(2)]]
    assert None not in texts
    assert len(set(texts)) == len(texts), texts
    assert stable_text(closure(1)) == texts[-2]  # and alike each time they are made
    assert f"{__name__}.closure.<locals>.inner line" in str(texts[-2])


@pytest.mark.parametrize(("make", "unreproducible"), [
    (lambda: [1, 1], []),  # equal values: either one is the test
    (lambda: [object(), object()], ["f[0]", "f[1]"]),  # one text, not one value
    (lambda: [Plain(), Plain()], ["f[0]", "f[1]"]),
    (lambda: [Point(1, 2), Point(2, 1)], []),
    (lambda: [Point(1, 2), Point(1, 2), 3], ["f[0]", "f[1]"]),
])
def test_values_one_text_does_not_tell_apart_are_unreproducible(
    make: Callable[[], list[object]], unreproducible: list[str],
) -> None:
    values = make()
    tests = [("f", f"f[{i}]", {"v": v}) for i, v in enumerate(values)]
    # another function's same values are not compared with these
    found = told_apart([*tests, ("g", "g[0]", {"v": values[0]})])
    assert sorted(n for n, d in found.items() if d == UNREPRODUCIBLE) == unreproducible
    assert found["g[0]"] != UNREPRODUCIBLE


def test_a_values_digest_is_one_per_meaning() -> None:
    first = values_digest({"case": ("alpha", 1)})
    assert first == values_digest({"case": ("alpha", 1)})
    assert first != values_digest({"case": ("gamma", 3)})
    assert values_digest({"case": threading.Lock()}) == UNREPRODUCIBLE
    # the order a mapping was built in is no meaning
    assert values_digest({"a": 1, "b": 2}) == values_digest({"b": 2, "a": 1})


def test_the_selection_values_digest_differs_when_one_id_means_other_values() -> None:
    one = selection_values_digest([("t.py::t[case0]", "aa"), ("t.py::t[case1]", "bb")])
    assert one == selection_values_digest([("t.py::t[case1]", "bb"), ("t.py::t[case0]", "aa")])
    assert one != selection_values_digest([("t.py::t[case0]", "bb"), ("t.py::t[case1]", "aa")])


def _shipped(values: dict[str, str]) -> dict[str, Any]:
    worker = CollectionFacts()
    worker.param_values = values
    return worker.to_dict()


@pytest.mark.parametrize(("first", "second", "named"), [
    ({"t[case0]": "aa"}, {"t[case0]": "aa"}, []),
    ({"t[case0]": "aa", "t[case1]": "bb"}, {"t[case0]": "bb", "t[case1]": "aa"},
     ["t[case0]", "t[case1]"]),
])
def test_workers_that_mean_other_values_by_one_id_make_the_run_incomplete(
    first: dict[str, str], second: dict[str, str], named: list[str],
) -> None:
    controller = CollectionFacts()
    controller.absorb(_shipped(first))
    controller.absorb(_shipped(second))
    assert controller.param_disagreed == named
    said = " ".join(p["message"] for p in controller.problems())
    assert all(n in said for n in named)
    assert bool(said) == bool(named)


@pytest.mark.parametrize(("workers", "shard", "named"), [
    (1, None, False),  # one process: its id means what it ran
    (2, None, True),
    (0, {"digest": "x"}, True),
])
def test_values_with_no_stable_text_are_named_where_processes_must_agree(
    workers: int, shard: dict[str, str] | None, named: bool,
) -> None:
    facts = CollectionFacts()
    for _ in range(workers):
        facts.absorb(_shipped({"t[p0]": UNREPRODUCIBLE}))
    if workers == 0:
        facts.param_values = {"t[p0]": UNREPRODUCIBLE}
    facts.shard = shard
    assert bool(facts.problems()) is named


@pytest.mark.parametrize(("names", "defines"), [
    ({"load_tests": lambda loader, tests, pattern: tests}, True),
    ({"load_tests": lambda loader, tests, pattern: tests, "__test__": False}, False),
    ({"load_tests": "not a function"}, False),
    ({"test_a": lambda: None}, False),
])
def test_a_module_with_load_tests_is_named(names: dict[str, Any], defines: bool) -> None:
    assert defines_load_tests(names) is defines


def test_an_argsfile_in_the_addopts_is_a_source_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    outside = tmp_path / "outside.args"
    outside.write_text("--reruns\n2\n")
    (tmp_path / "ci" / "pytest.args").write_text(f"-q\n@{outside}\n")
    words, files = split_argsfiles(["-ra", "@ci/pytest.args", "@missing.args"], tmp_path)
    assert words == ["-ra"]
    assert [(s.label, s.args, s.file) for s in files] == [
        (f"{ADDOPTS_ARGSFILE} @ci/pytest.args", ["-q"], "ci/pytest.args"),
        (f"{ADDOPTS_ARGSFILE} @{outside}", ["--reruns", "2"], str(outside)),
        (f"{ADDOPTS_ARGSFILE} @missing.args", [], "missing.args"),
    ]
    # own only when git tracks the file itself, not because the tracked text named it
    argsfiles_own(files, tmp_path, {(tmp_path / "ci" / "pytest.args").resolve()})
    assert [s.own for s in files] == [True, False, False]


def test_an_argsfile_that_names_itself_ends(tmp_path: Path) -> None:
    (tmp_path / "loop.args").write_text("@loop.args\n-q\n")
    words, files = split_argsfiles(["@loop.args"], tmp_path)
    assert words == []
    assert len(files) == 8
    assert files[-1].args == ["@loop.args", "-q"]  # argparse's own recursion fails on it
