"""Whose failure a failed setup or teardown is (hostile case 306): a fixture of wider scope
than the test (module, class, package, session) fails for every test that used it, and pytest
reports it on whichever test set it up or tore it down, an order's choice that differs by
route. Found from the exception's own frames: the fixture functions it passed through, with
their scopes. Allow-list: a failure is the test's own only when it passed through a
function-scoped fixture and no wider one; a failure in no fixture's code (a finalizer added
with ``addfinalizer``, a fixture that could not be found) cannot be placed and is not the
test's own either. No pytest import; read only for failed setups and teardowns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence
    from types import CodeType

#: named when a failed setup or teardown ran through no fixture's code
UNPLACED = "a fixture setup or teardown (not placed in any fixture's code)"


def _codes(exc: BaseException | None, depth: int = 0) -> Iterator[CodeType]:
    """The code objects of every frame ``exc`` (and an exception group's members, as pytest
    raises several teardown errors) passed through."""
    if exc is None or depth > 8:
        return
    tb = exc.__traceback__
    while tb is not None:
        yield tb.tb_frame.f_code
        tb = tb.tb_next
    for member in getattr(exc, "exceptions", ()) or ():
        if isinstance(member, BaseException):
            yield from _codes(member, depth + 1)


def wider_fixture(exc: BaseException | None,
                  definitions: Mapping[str, Sequence[object]]) -> str | None:
    """The fixture of wider scope a failed setup or teardown belongs to (``"server
    (module)"``), :data:`UNPLACED` when it ran through no fixture's code, ``None`` when it is
    the test's own (a function-scoped fixture's). ``definitions``: pytest's
    ``name2fixturedefs`` (each definition has ``func`` and ``scope``)."""
    by_code = dict(_fixture_codes(definitions))
    own = False
    for code in _codes(exc):
        found = by_code.get(code)
        if found is None:
            continue
        name, scope = found
        if scope != "function":
            return f"{name} ({scope})"
        own = True
    return None if own else UNPLACED


def _fixture_codes(
    definitions: Mapping[str, Sequence[object]],
) -> Iterable[tuple[CodeType, tuple[str, str]]]:
    for name, defs in definitions.items():
        for definition in defs:
            func = getattr(definition, "func", None)
            func = getattr(func, "__func__", func)  # a fixture method of a test class
            code = getattr(func, "__code__", None)
            if code is not None:
                yield code, (name, str(getattr(definition, "scope", "function")))
