"""What a parametrized test's node id stands for: a digest of its parameters' values.

A node id names a test only together with its values: ``parametrize("case", {set of
tuples})`` gives positional ids (``case0``..``case3``) in an order that follows each
process's hash seed, so two xdist workers, or two CI shards, can mean other values by one
id and a failing value runs nowhere (hostile case 400). Every collecting process records,
per parametrized test, a digest of a stable text of its values; the processes that
collected one id must agree on it (``run/collection.py``: the xdist controller's facts,
the shards' selection).

A stable text is built only from what is known to be the same in every process (an
allow-list): plain values by their repr; containers walked (sets sorted); classes and
functions their module's name finds by their qualified name; other functions (lambdas,
closures) by their code location, constants, defaults and closure; ``functools.partial``
by its function and arguments; a bound method by its object and name; an instance of a
plain Python class by its type and attributes. Anything else whose repr is an address
(``<Foo object at 0x..>``), or larger than :data:`_BUDGET` objects, has none: it is
"unreproducible", never guessed equal. Two values of one test whose texts are equal but
that are not equal (``==``) are not told apart by their text: unreproducible too
(:func:`told_apart`). Collection time only, O(size of the values) with a cap. Pure logic:
no pytest import.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

#: the digest recorded for a test whose values have no stable text
UNREPRODUCIBLE = "unreproducible"
#: an object's default repr carries its address: another process, another text
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")
#: how deep a container is walked before its repr is taken as it is
_DEPTH = 8
#: how many objects one parameter value may hold before it is too large to vouch for: the
#: per-test cost stays bounded (a value shared by many tests is walked once per collection)
_BUDGET = 50_000
#: values whose repr is their whole meaning and never an address
_PLAIN = (type(None), bool, int, float, complex, str, bytes)
#: CPython's flag of a class created at run time (a ``class`` statement; a C type is static)
_HEAPTYPE = 1 << 9
_POINTER = struct.calcsize("P")


def stable_text(value: object) -> str | None:
    """A text of ``value`` every process gives alike, or None when there is none."""
    try:
        return _Texts().text(value, 0)
    except Exception:  # an attribute that raises, keys that do not sort: nothing to vouch for
        return None


class _Texts:
    """One walk over a value: each object visited costs one of a bounded budget; an object
    met again inside itself (a cycle) is named as such, not walked forever."""

    def __init__(self) -> None:
        self.left = _BUDGET
        self.active: set[int] = set()

    def text(self, value: object, depth: int) -> str | None:
        self.left -= 1
        if self.left < 0:
            return None
        if isinstance(value, _PLAIN) and type(value).__repr__ is _base_repr(value):
            return repr(value)
        if depth >= _DEPTH:
            return _repr_text(value)
        if id(value) in self.active:
            return "<cycle>"
        self.active.add(id(value))
        try:
            return self._composite(value, depth + 1)
        finally:
            self.active.discard(id(value))

    def _composite(self, value: object, depth: int) -> str | None:
        walked = self._container(value, depth)
        if walked is not _NOT_WALKED:
            return walked if isinstance(walked, str) else None
        callable_text = self._callable(value, depth)
        if callable_text is not _NOT_WALKED:
            return callable_text if isinstance(callable_text, str) else None
        text = _repr_text(value)
        if text is not None:
            return text
        state = _plain_state(value)
        if state is None:
            return None
        return self._joined(_name(type(value)), sorted(state.items()), depth)

    def _container(self, value: object, depth: int) -> object:
        """The stable text of a container (None when an element has none), or
        :data:`_NOT_WALKED` for anything that is not one."""
        if isinstance(value, (tuple, list)):
            return self._joined(type(value).__name__, [(None, v) for v in value], depth)
        if isinstance(value, (set, frozenset)):
            texts = [self.text(v, depth) for v in value]
            if any(t is None for t in texts):
                return None
            return f"{type(value).__name__}({', '.join(sorted(t for t in texts if t))})"
        if isinstance(value, dict):
            items = [(self.text(k, depth), v) for k, v in value.items()]
            if any(k is None for k, _ in items):
                return None
            return self._joined("dict", items, depth, sep=": ")
        return _NOT_WALKED

    def _callable(self, value: object, depth: int) -> object:
        """The stable text of a class, function, partial or method, or :data:`_NOT_WALKED`."""
        if isinstance(value, type):
            return f"<type {_name(value)}>"
        if isinstance(value, functools.partial):
            return self._joined("<partial>", [(None, value.func), *((None, a) for a in value.args),
                                             *sorted(value.keywords.items())], depth)
        if isinstance(value, (types.MethodType, types.BuiltinMethodType)):
            owner = value.__self__
            if owner is None or isinstance(owner, types.ModuleType):
                return f"<built-in {_name(value)}>"
            return self._joined(f"<method {value.__name__}>", [(None, owner)], depth)
        if isinstance(value, types.FunctionType):
            return self._function(value, depth)
        if isinstance(value, types.ModuleType):
            return f"<module {value.__name__}>"
        if callable(value) and _found_by_name(value):  # a wrapped function (lru_cache ...)
            return f"<{type(value).__name__} {_name(value)}>"
        return _NOT_WALKED

    def _function(self, value: types.FunctionType, depth: int) -> str | None:
        """A function its module's name finds is named; another (a lambda, a closure) by
        what tells it apart: its line, constants, names, defaults and closure."""
        if _found_by_name(value):
            return f"<function {_name(value)}>"
        code = value.__code__
        cells = []
        for cell in value.__closure__ or ():
            try:
                cells.append(cell.cell_contents)
            except ValueError:  # a cell not yet filled
                cells.append("<empty cell>")
        return self._joined(f"<function {_name(value)} line {code.co_firstlineno}>", [
            ("code", _code_parts(code)), ("defaults", value.__defaults__),
            ("kwdefaults", value.__kwdefaults__), ("closure", tuple(cells)),
            ("globals", _own_globals(value))], depth)

    def _joined(self, kind: str, parts: Sequence[tuple[object, object]], depth: int,
                sep: str = "=") -> str | None:
        """``kind(part, key=part, ...)``, or None when a part has no stable text."""
        texts = []
        for key, part in parts:
            text = self.text(part, depth)
            if text is None:
                return None
            texts.append(text if key is None else f"{key}{sep}{text}")
        return f"{kind}({', '.join(texts)})"


_NOT_WALKED = object()


def _base_repr(value: object) -> object:
    """The repr of the plain type ``value`` is one of (a subclass may override it)."""
    for base in _PLAIN:
        if isinstance(value, base):
            return base.__repr__
    return None


def _repr_text(value: object) -> str | None:
    try:
        text = repr(value)
    except Exception:  # a repr that fails has no text to compare
        return None
    return None if _ADDRESS.search(text) else text


def _name(value: object) -> str:
    return f"{getattr(value, '__module__', None)}.{getattr(value, '__qualname__', '?')}"


def _found_by_name(value: object) -> bool:
    """Whether the object's module holds it under its qualified name (static lookups: no
    property or descriptor runs); a lambda's or a closure's name finds nothing."""
    qualname = getattr(value, "__qualname__", None)
    found: object = sys.modules.get(str(getattr(value, "__module__", None)))
    if not isinstance(qualname, str) or found is None:
        return False
    for part in qualname.split("."):
        space = getattr(found, "__dict__", None)
        if not isinstance(space, _NAMESPACES):
            return False
        found = space.get(part)
        if isinstance(found, (staticmethod, classmethod)):
            found = found.__func__
    return found is value


#: what a module's or a class's ``__dict__`` is
_NAMESPACES = (dict, types.MappingProxyType)


def _code_parts(code: types.CodeType) -> tuple[object, ...]:
    """What a function's code is made of, other code (nested functions) included: texts
    alike in every process of one interpreter, unlike the code object's own repr."""
    consts = tuple(_code_parts(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return (consts, code.co_names, code.co_varnames)


def _own_globals(value: types.FunctionType) -> dict[str, object]:
    """The globals a function names, when they are not its module's (code ``exec``-ed in a
    namespace of its own: two such functions differ only there); its module names those."""
    module = sys.modules.get(str(value.__module__))
    if module is not None and vars(module) is value.__globals__:
        return {}
    names = _names(value.__code__)
    return {n: value.__globals__[n] for n in sorted(names) if n in value.__globals__}


def _names(code: types.CodeType) -> set[str]:
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
    return found


def _plain_state(value: object) -> dict[str, object] | None:
    """The attributes of an instance of a plain Python class, or None for any other object
    (a C type's instance keeps state no attribute shows)."""
    cls = type(value)
    if not all(base is object or base.__flags__ & _HEAPTYPE for base in cls.__mro__):
        return None
    slots = [name for base in cls.__mro__ for name in _slot_names(base)]
    if cls.__basicsize__ > object.__basicsize__ + _POINTER * (2 + len(slots)):
        return None  # a layout a C base added: state no attribute shows
    state: dict[str, object] = dict(getattr(value, "__dict__", {}))
    for name in slots:
        if name not in ("__dict__", "__weakref__"):
            state[name] = getattr(value, name, _UNSET)
    return state


class _Unset:
    """A slot never assigned (told apart from any value it could hold)."""

    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()


def _slot_names(cls: type) -> list[str]:
    slots = cls.__dict__.get("__slots__", ())
    return [slots] if isinstance(slots, str) else list(slots)


#: value's id -> (the value, kept alive so its id is not reused; its stable text)
Memo = dict[int, tuple[object, "str | None"]]


def values_digest(params: Mapping[str, object], memo: Memo | None = None) -> str:
    """The digest of one test's parameters (name -> value), or :data:`UNREPRODUCIBLE`;
    ``memo``: the texts of values already walked (one value shared by many tests)."""
    memo = {} if memo is None else memo
    digest = hashlib.sha256()
    for name in sorted(params):
        value = params[name]
        if id(value) not in memo:
            memo[id(value)] = (value, stable_text(value))
        text = memo[id(value)][1]
        if text is None:
            return UNREPRODUCIBLE
        digest.update(f"{name}={text}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def told_apart(tests: Iterable[tuple[str, str, Mapping[str, object]]]) -> dict[str, str]:
    """Node id -> values digest of each (function, node id, parameters): two tests of one
    function whose values have one text but are not equal (``==``) are not told apart by
    it (two ``object()`` sentinels, two stateless instances, a truncated repr): both
    unreproducible, as a text with an address is."""
    found: dict[str, str] = {}
    first: dict[tuple[str, str], tuple[str, Mapping[str, object]]] = {}
    memo: Memo = {}
    for function, nodeid, params in tests:
        digest = found[nodeid] = values_digest(params, memo)
        if digest == UNREPRODUCIBLE:
            continue
        seen, values = first.setdefault((function, digest), (nodeid, params))
        if seen != nodeid and not _equal(values, params):
            found[nodeid] = found[seen] = UNREPRODUCIBLE
    return found


def _equal(one: Mapping[str, object], other: Mapping[str, object]) -> bool:
    if one.keys() != other.keys():
        return False
    for name, value in one.items():
        try:
            if not (value is other[name] or bool(value == other[name])):
                return False
        except Exception:  # an == that fails (an array's) cannot vouch they are one
            return False
    return True


def selection_values_digest(digests: Iterable[tuple[str, str]]) -> str:
    """One digest of (node id, values digest) pairs, in node id order: what a CI shard
    records of the whole selection, so shards that meant other values by one id differ."""
    digest = hashlib.sha256()
    for nodeid, values in sorted(digests):
        digest.update(f"{nodeid}\0{values}\n".encode("utf-8", "surrogateescape"))
    return "sha256:" + digest.hexdigest()
