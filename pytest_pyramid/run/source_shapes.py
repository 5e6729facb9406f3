"""What a module's source says it defines, from its syntax tree, in one pass over its
statements (hostile round 16a): the shapes whose outcome pytest cannot be trusted with.

- **definitions reachable at import** (443): every ``def``/``class`` the module's import could
  run, its top level and class bodies, into every compound statement (``if``, ``try`` with its
  ``except``/``else``/``finally``, ``with``, ``for``, ``while``, ``match``), never into a
  function's body (a nested definition is no test). A test defined only in a branch that did
  not run is absent from the namespace pytest collects from: only the source shows it.
- **asserts on a non-empty tuple** (445): ``assert (x, "msg")`` is always true, anywhere in the
  module (a helper's too); pytest's rewriter warns only when it rewrites, never from its cache.
- **docstring examples** (446): the qualified names (``""``: the module's own docstring) whose
  docstring holds a ``>>>`` line, where doctest's finder looks (the same reachable
  definitions); the last definition of a name is the one that lives.

Pure: the caller parses (the bytes the import read) and decides what the names mean.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

#: a doctest example's first line, as doctest's parser finds it (``_EXAMPLE_RE``)
_EXAMPLE = re.compile(r"^[ \t]*>>>", re.MULTILINE)

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class SourceShapes:
    """One module's source facts (names as paths: ``("TestX", "test_m")``)."""

    #: definitions reachable at import: (path, is a class, line), in source order
    definitions: list[tuple[tuple[str, ...], bool, int]] = field(default_factory=list)
    #: lines of ``assert`` statements on a non-empty tuple
    tuple_asserts: list[int] = field(default_factory=list)
    #: dotted qualified name -> line, of docstrings holding an example
    examples: dict[str, int] = field(default_factory=dict)
    #: names a reachable ``del`` removes (``del test_x`` after a loop made tests of it: the
    #: module's own decision that the name is gone)
    deleted: set[tuple[str, ...]] = field(default_factory=set)


def source_shapes(tree: ast.Module) -> SourceShapes:
    """The module's shapes: one visit of each statement (expressions are not walked)."""
    shapes = SourceShapes()
    if _has_example(tree):
        shapes.examples[""] = 1
    _visit(tree.body, (), shapes, reachable=True)
    return shapes


def _has_example(node: ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                 ) -> bool:
    doc = ast.get_docstring(node, clean=False)
    return doc is not None and _EXAMPLE.search(doc) is not None


def _visit(body: list[ast.stmt], path: tuple[str, ...], shapes: SourceShapes, *,
           reachable: bool) -> None:
    for node in body:
        if isinstance(node, (*_DEFS, ast.ClassDef)):
            _definition(node, path, shapes, reachable=reachable)
        elif isinstance(node, ast.Assert):
            if isinstance(node.test, ast.Tuple) and node.test.elts:
                shapes.tuple_asserts.append(node.lineno)
        elif isinstance(node, ast.Delete):
            if reachable:
                shapes.deleted.update((*path, t.id) for t in node.targets
                                      if isinstance(t, ast.Name))
        else:  # in source order: body, except/case clauses, else, finally
            for part in _bodies(node):
                _visit(part, path, shapes, reachable=reachable)


def _bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    clauses = (*getattr(node, "handlers", ()), *getattr(node, "cases", ()))
    return [getattr(node, "body", []), *(clause.body for clause in clauses),
            getattr(node, "orelse", []), getattr(node, "finalbody", [])]


def _definition(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
                path: tuple[str, ...], shapes: SourceShapes, *, reachable: bool) -> None:
    own = (*path, node.name)
    if reachable:
        is_class = isinstance(node, ast.ClassDef)
        shapes.definitions.append((own, is_class, node.lineno))
        qualname = ".".join(own)
        shapes.examples.pop(qualname, None)  # a later definition replaces an earlier one
        if _has_example(node):
            shapes.examples[qualname] = node.lineno
    # a class body runs at import; a function's body only when called (asserts only)
    _visit(node.body, own, shapes, reachable=reachable and isinstance(node, ast.ClassDef))
