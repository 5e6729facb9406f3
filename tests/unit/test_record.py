"""``@record`` behaves as ``@dataclass`` for everything the package's records use: each row
builds one class body both ways and compares what the two classes do."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from pytest_pyramid.results import record


def _pair(frozen: bool) -> tuple[type[Any], type[Any]]:
    """The same class body, as a dataclass and as a record."""

    def body() -> dict[str, Any]:
        return {
            # a ClassVar as the package writes it (a string) and as an object
            "__annotations__": {"a": "int", "b": "str", "c": "list[int]",
                                "d": "dict[str, int]", "kind": "ClassVar[str]",
                                "level": ClassVar[int]},
            "__doc__": "A row.",
            "b": "x",
            "c": field(default_factory=list, repr=False),
            "d": field(default_factory=dict, hash=False),
            "kind": "row",
            "level": 1,
        }

    made_by_dataclass: type[Any] = dataclass(frozen=frozen)(type("Row", (), body()))
    made_by_record: type[Any] = record(frozen=frozen)(type("Row", (), body()))
    return made_by_dataclass, made_by_record


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1,), {}),
    ((1, "y"), {}),
    ((), {"a": 2, "b": "z"}),
    ((1,), {"c": [1, 2]}),
    ((1, "y", [3], {"k": 1}), {}),
]


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_fields_defaults_and_repr_are_a_dataclass_s(
    frozen: bool, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    by_dataclass, by_record = _pair(frozen)
    expected, got = by_dataclass(*args, **kwargs), by_record(*args, **kwargs)
    assert vars(got) == vars(expected)
    assert repr(got) == repr(expected)
    # a ClassVar stays a class attribute, not a field
    assert (by_record.kind, by_record.level) == ("row", 1)
    assert "kind" not in vars(got)


def test_each_instance_gets_its_own_default_from_the_factory() -> None:
    _, by_record = _pair(False)
    first, second = by_record(1), by_record(1)
    first.c.append(1)
    assert second.c == []


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (((1,), {}), ((1,), {}), True),
        (((1,), {}), ((2,), {}), False),
        (((1, "x", [1]), {}), ((1, "x", [2]), {}), False),  # repr=False still compares
        (((1,), {"d": {"k": 1}}), ((1,), {}), False),  # hash=False still compares
    ],
)
@pytest.mark.parametrize("frozen", [False, True])
def test_equality_is_a_dataclass_s(left: Any, right: Any, equal: bool, frozen: bool) -> None:
    for cls in _pair(frozen):
        assert (cls(*left[0], **left[1]) == cls(*right[0], **right[1])) is equal


def test_equality_needs_the_same_class_and_a_same_object_field_is_equal() -> None:
    by_dataclass, by_record = _pair(True)
    assert by_record(1) != by_dataclass(1)
    nan = math.nan
    for cls in (by_dataclass, by_record):
        assert cls(nan) == cls(nan)  # compared as tuples are: the same object is equal


def test_frozen_records_refuse_changes_and_hash_by_their_hashed_fields() -> None:
    by_dataclass, by_record = _pair(True)
    row = by_record(1, "y", [1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.a = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del row.b
    # `d` is left out of the hash (hash=False), as the dataclass leaves it out
    assert hash(by_record(1, "y", (1,), {"k": 1})) == hash(by_record(1, "y", (1,), {}))
    assert hash(by_record(1, "y", (1,))) == hash(by_dataclass(1, "y", (1,)))


def test_a_mutable_record_is_unhashable_as_a_dataclass_is() -> None:
    for cls in _pair(False):
        assert cls.__hash__ is None


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing required argument: 'a'"),
        ((1, "y", [], {}, 5), {}, "takes 5 positional arguments but 6 were given"),
        ((1,), {"e": 1}, "unexpected keyword argument 'e'"),
        ((1,), {"a": 2}, "multiple values for argument 'a'"),
    ],
)
def test_bad_arguments_raise_type_error_naming_them(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    _, by_record = _pair(False)
    with pytest.raises(TypeError, match=message.replace("(", r"\(")):
        by_record(*args, **kwargs)
    by_dataclass, _ = _pair(False)
    with pytest.raises(TypeError):
        by_dataclass(*args, **kwargs)


def test_methods_the_class_defines_are_kept() -> None:
    @record(frozen=True)
    class Own:
        """Its own repr."""

        a: int

        def __repr__(self) -> str:
            return "own"

    assert repr(Own(1)) == "own"
    assert Own(1) == Own(1)


@pytest.mark.parametrize(
    "body",
    [
        {"__annotations__": {"a": "int"}, "__post_init__": lambda self: None},
        {"__annotations__": {"a": "InitVar[int]"}},
    ],
)
def test_what_a_record_does_not_do_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="needs @dataclass"):
        record(type("Bad", (), dict(body)))


def test_a_record_cannot_inherit_a_record() -> None:
    base = record(type("Base", (), {"__annotations__": {"a": "int"}}))
    with pytest.raises(TypeError, match="cannot inherit"):
        record(type("Child", (base,), {"__annotations__": {"b": "int"}}))
