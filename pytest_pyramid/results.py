"""The run's value types: the one shape every gate result has, how a result affects the
decision, and ``@record`` (below), the small value classes' decorator.

``@record``: the run's small value classes, declared as dataclasses are, built without
compiling code at import.

``@dataclass`` writes the source of ``__init__``, ``__repr__``, ``__eq__`` (and, frozen,
``__setattr__``, ``__delattr__``, ``__hash__``) for each class and compiles it with ``exec``
every time the module is imported: 0.3-0.8 ms a class here, about 20 ms for the records an
active run imports, a fifth of the plugin's start-up. ``record`` builds the same methods as
closures over the class's field table: no compiling, about 20 us a class. The price is paid
per instance instead (a generic ``__init__``: about 2 us against 0.5 us), so it is for
classes made a few times per run (settings, plans, results); a record made per test keeps
``@dataclass``.

Same behaviour as ``dataclass`` for what this package uses: fields from the class's own
annotations, in order, with a default value or ``field(default_factory=...)``;
``field(repr=False)`` and ``field(hash=False)``; ``ClassVar`` annotations are not fields;
``frozen`` (assigning or deleting raises :class:`dataclasses.FrozenInstanceError`, and
instances hash by their fields); ``eq`` compares instances of the exact same class field by
field. Not supported, refused when declared: inheritance from another record,
``__post_init__``, ``InitVar``. ``dataclasses.fields`` and ``replace`` do not apply (a
class that needs them stays a dataclass). mypy checks the classes as dataclasses
(``dataclass_transform``). ``tests/unit/test_record.py`` compares both, row by row.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args, overload

if TYPE_CHECKING:
    from collections.abc import Callable

    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: object) -> Callable[[Any], Any]:
        return lambda decorated: decorated

if TYPE_CHECKING:
    from typing import TypedDict as TypedDict
else:
    class TypedDict(dict):
        """A JSON shape (``class Verdict(TypedDict, total=False)``) is the type checker's
        alone: nothing instantiates one or reads its annotations at run time. There it is a
        plain ``dict`` subclass: ``typing.TypedDict`` compiles each field's annotation (a
        string, under ``from __future__ import annotations``) into a ``ForwardRef`` at
        import, about 0.6 ms of every run's start-up for the verdict document's shapes."""

        def __init_subclass__(cls, total: bool = True, **kwargs: object) -> None:
            super().__init_subclass__(**kwargs)

T = TypeVar("T", bound=type)
_MISSING = dataclasses.MISSING

Level = Literal["block", "approve", "warn", "off"]
Status = Literal["pass", "fail", "not_evaluated"]
OnMissing = Literal["fail", "approve", "warn", "skip"]
Effect = Literal["block", "approve", "warn", "none"]

LEVELS: tuple[Level, ...] = get_args(Level)
ON_MISSING: tuple[OnMissing, ...] = get_args(OnMissing)

Number = float | int


@dataclass(frozen=True)
class GateResult:
    """One gate's judgement.

    ``on_missing`` only matters when ``status`` is ``not_evaluated``: it says whether the
    missing evidence counts as a failure at this gate's level (``fail``), asks a human
    (``approve``), only reports (``warn``) or is ignored (``skip``).
    """

    id: str
    level: Level
    status: Status
    actual: Number | str | None = None
    threshold: Number | str | None = None
    message: str = ""
    on_missing: OnMissing = "fail"
    details: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id,
            "level": self.level,
            "status": self.status,
            "actual": self.actual,
            "threshold": self.threshold,
            "message": self.message,
        }
        if self.status == "not_evaluated":
            data["on_missing"] = self.on_missing
        if self.details:
            data["details"] = self.details
        return data


def effect(level: str, status: str, on_missing: str = "fail") -> Effect:
    """What a gate with this level, status and missing-data policy does to the decision.

    Works on plain strings so a verdict read back from its file is judged by the same rule;
    an unknown level or status (a hand-edited file) blocks rather than passes.
    """
    if level == "off" or status == "pass":
        return "none"
    if status == "fail":
        return level if level in ("block", "approve", "warn") else "block"  # type: ignore[return-value]
    if status != "not_evaluated":
        return "block"
    if on_missing == "skip":
        return "none"
    if on_missing == "fail":
        return level if level in ("block", "approve", "warn") else "block"  # type: ignore[return-value]
    if on_missing == "approve" and level == "warn":
        return "warn"
    return on_missing if on_missing in ("approve", "warn") else "block"  # type: ignore[return-value]


def effect_of(gate: GateResult) -> Effect:
    """What a gate result does to the release decision."""
    return effect(gate.level, gate.status, gate.on_missing)


# -- @record -----------------------------------------------------------------------------------

class _Field:
    """One field: its name, how its default is made, and whether repr and hash show it."""

    __slots__ = ("default", "factory", "hashed", "name", "shown")

    def __init__(self, name: str, default: object) -> None:
        self.name = name
        self.factory: Callable[[], object] | None = None
        self.shown = self.hashed = True
        if isinstance(default, dataclasses.Field):
            if default.default_factory is not _MISSING:
                self.factory = default.default_factory
            self.default = default.default
            self.shown, self.hashed = bool(default.repr), default.hash is not False
        else:
            self.default = default


def _fields(cls: type) -> tuple[_Field, ...]:
    if any(hasattr(base, "__record_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__qualname__}: a record cannot inherit another record's fields")
    if "__post_init__" in cls.__dict__:
        raise TypeError(f"{cls.__qualname__}: __post_init__ needs @dataclass")
    found = []
    for name, annotation in inspect.get_annotations(cls).items():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if text.startswith(("ClassVar", "typing.ClassVar")):
            continue
        if text.startswith(("InitVar", "dataclasses.InitVar")):
            raise TypeError(f"{cls.__qualname__}.{name}: InitVar needs @dataclass")
        found.append(_Field(name, cls.__dict__.get(name, _MISSING)))
    return tuple(found)


def _init(cls: type, fields: tuple[_Field, ...], frozen: bool) -> Callable[..., None]:
    names = tuple(f.name for f in fields)
    index = {f.name: f for f in fields}
    setter = object.__setattr__ if frozen else setattr
    label = cls.__qualname__

    def __init__(self: object, *args: object, **kwargs: object) -> None:
        if len(args) > len(names):
            raise TypeError(f"{label}.__init__() takes {len(names) + 1} positional arguments "
                            f"but {len(args) + 1} were given")
        for name in kwargs:
            if name not in index:
                raise TypeError(f"{label}.__init__() got an unexpected keyword argument "
                                f"{name!r}")
        for position, name in enumerate(names):
            if position < len(args):
                if name in kwargs:
                    raise TypeError(f"{label}.__init__() got multiple values for argument "
                                    f"{name!r}")
                value = args[position]
            elif name in kwargs:
                value = kwargs[name]
            else:
                field = index[name]
                if field.factory is not None:
                    value = field.factory()
                elif field.default is not _MISSING:
                    value = field.default
                else:
                    raise TypeError(f"{label}.__init__() missing required argument: {name!r}")
            setter(self, name, value)

    return __init__


def _repr(fields: tuple[_Field, ...]) -> Callable[[object], str]:
    shown = tuple(f.name for f in fields if f.shown)

    def __repr__(self: object) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({inner})"

    return __repr__


def _eq(fields: tuple[_Field, ...]) -> Callable[[object, object], bool]:
    names = tuple(f.name for f in fields)

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        # tuples, as a dataclass compares: a field that is the same object is equal (NaN)
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)

    return __eq__


def _frozen(cls: type, fields: tuple[_Field, ...], *, hashed_by_fields: bool) -> None:
    names = frozenset(f.name for f in fields)
    hashed = tuple(f.name for f in fields if f.hashed)

    def __setattr__(self: object, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self: object, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)

    def __hash__(self: object) -> int:
        return hash(tuple(getattr(self, n) for n in hashed))

    cls.__setattr__ = __setattr__  # type: ignore[assignment,method-assign]
    cls.__delattr__ = __delattr__  # type: ignore[assignment,method-assign]
    if hashed_by_fields:  # frozen and compared by fields: hashed by them too
        cls.__hash__ = __hash__  # type: ignore[assignment,method-assign]


def _build(cls: T, *, frozen: bool, eq: bool, repr: bool) -> T:
    fields = _fields(cls)
    own = dict(cls.__dict__)  # what the class body defined itself, before methods are added
    for one in fields:  # the class attribute a dataclass would leave: the plain default
        if isinstance(cls.__dict__.get(one.name), dataclasses.Field):
            if one.default is _MISSING:
                delattr(cls, one.name)
            else:
                setattr(cls, one.name, one.default)
    cls.__record_fields__ = tuple(f.name for f in fields)  # type: ignore[attr-defined]
    cls.__init__ = _init(cls, fields, frozen)  # type: ignore[misc]
    if repr and "__repr__" not in own:
        cls.__repr__ = _repr(fields)  # type: ignore[assignment,method-assign]
    if eq and "__eq__" not in own:
        cls.__eq__ = _eq(fields)  # type: ignore[assignment,method-assign]
        if not frozen:
            cls.__hash__ = None  # type: ignore[assignment]  # as a dataclass: unhashable
    if frozen:
        _frozen(cls, fields, hashed_by_fields=eq and "__hash__" not in own)
    return cls


@overload
def record(cls: T, /) -> T: ...
@overload
def record(
    *, frozen: bool = False, eq: bool = True, repr: bool = True
) -> Callable[[T], T]: ...


@dataclass_transform(field_specifiers=(dataclasses.field,))
def record(
    cls: T | None = None, /, *, frozen: bool = False, eq: bool = True,
    repr: bool = True,
) -> T | Callable[[T], T]:
    """``@record`` or ``@record(frozen=True)``: as ``@dataclass``, see the module's text."""
    if cls is not None:
        return _build(cls, frozen=frozen, eq=eq, repr=repr)
    return lambda decorated: _build(decorated, frozen=frozen, eq=eq, repr=repr)
