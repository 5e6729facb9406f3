"""Hostile cases 400, 401, 404 as pure tables: what a parametrized test's id stands for (its
values' digest, agreed between processes), the argsfiles a tracked addopts names, and a
module with unittest's ``load_tests``."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.collection import CollectionFacts
from pytest_pyramid.run.invocation import (
    ADDOPTS_ARGSFILE,
    argsfiles_own,
    split_argsfiles,
)
from pytest_pyramid.run.param_values import (
    UNREPRODUCIBLE,
    selection_values_digest,
    stable_text,
    values_digest,
)
from pytest_pyramid.run.refusals import defines_load_tests

if TYPE_CHECKING:
    from pathlib import Path


class Colour(enum.Enum):
    RED = 1


class Plain:
    pass


def helper() -> None:
    pass


@pytest.mark.parametrize(("value", "text"), [
    (("alpha", 1), "tuple('alpha', 1)"),
    ([1, 2.5, None], "list(1, 2.5, None)"),
    (frozenset({"b", "a", "c"}), "frozenset('a', 'b', 'c')"),  # sorted: repr follows the seed
    ({"k": (1,)}, "dict('k': tuple(1))"),
    (Colour.RED, "<Colour.RED: 1>"),
    (helper, f"<function {__name__}.helper>"),  # named, as its id names it
    (Plain, f"<type {__name__}.Plain>"),
    (Plain(), None),  # an address: no text another process gives alike
    ((1, Plain()), None),
    ({"k": Plain()}, None),
    ({Plain()}, None),
])
def test_a_value_has_a_stable_text_or_none(value: object, text: str | None) -> None:
    assert stable_text(value) == text


def test_a_values_digest_is_one_per_meaning() -> None:
    first = values_digest({"case": ("alpha", 1)})
    assert first == values_digest({"case": ("alpha", 1)})
    assert first != values_digest({"case": ("gamma", 3)})
    assert values_digest({"case": Plain()}) == UNREPRODUCIBLE
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
