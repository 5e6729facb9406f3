"""The test files a project has on disk, found the way pytest would find them (pure logic).

A run vouches for the suite only if it saw every test file the project has: comparing what
is on disk with what pytest actually collected catches every way of narrowing a run -
``--ignore`` on the command line, in ``addopts`` or ``PYTEST_ADDOPTS``, an ``@argsfile``,
``collect_ignore`` in a conftest, a ``pytest_ignore_collect`` hook, explicit test paths -
without reading any of them. Files a project declares outside its suite are listed in
``[tool.pyramid] exclude``.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pytest_pyramid.globs import GLOB_CHARS
from pytest_pyramid.results import record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
#: more files than this under the scanned roots: the scan stops and says so
MAX_FILES = 200_000


def _matches(pattern: str, relpath: str) -> bool:
    """pytest's ``fnmatch_ex``: a pattern without ``/`` matches the file name only."""
    if "/" not in pattern:
        return fnmatch.fnmatch(relpath.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatch(relpath, pattern if pattern.startswith("*") else f"*/{pattern}") or (
        fnmatch.fnmatch(relpath, pattern)
    )


def _in_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta" / "history").is_file()


@record(frozen=True)
class ScanRules:
    """How test files are found on disk: pytest's patterns, and what is left out."""

    python_files: tuple[str, ...] = DEFAULT_PYTHON_FILES
    #: pytest's own exclusions; a tier's folders are scanned without them (hidden folders and
    #: ``__pycache__`` aside), so a conftest or an ini that stops pytest from entering a tier's
    #: folder cannot make that tier's tests disappear from the count
    norecursedirs: tuple[str, ...] = ()
    collect_in_virtualenv: bool = False
    #: the project's own exclusions (``[tool.pyramid] exclude``), relative to the project
    exclude: Callable[[str], bool] | None = None
    #: pytest's ``python_functions`` and ``python_classes``: what names a test by the
    #: project's own rules (prefixes, or globs), for the tree's stray test files
    python_functions: tuple[str, ...] = ("test",)
    python_classes: tuple[str, ...] = ("Test",)


@record(frozen=True)
class Inventory:
    """Test files under the scanned roots, relative to the project directory."""

    files: tuple[str, ...]
    #: True when the scan stopped at MAX_FILES (a misconfigured root, e.g. ``/``)
    truncated: bool = False


def scan(project: Path, roots: Iterable[str], rules: ScanRules) -> Inventory:
    """Every test file under ``roots`` (paths relative to ``project``), sorted."""
    found: set[str] = set()
    truncated = False
    exclude = rules.exclude

    def visit_file(rel: str) -> None:
        if is_test_file(rel, rules):
            found.add(rel)

    for root in sorted(set(roots)):
        start = project / root if root else project
        if start.is_file():
            visit_file(_rel(project, start))
            continue
        if not start.is_dir():
            continue
        visited: set[str] = set()
        for directory, dirnames, filenames in os.walk(start, followlinks=True):
            real = os.path.realpath(directory)
            if real in visited:  # a symlink loop: pytest follows links, but only once
                dirnames[:] = []
                continue
            visited.add(real)
            here = Path(directory)
            kept = []
            for name in sorted(dirnames):
                child = here / name
                rel = _rel(project, child)
                if name == "__pycache__" or name.startswith(".") or any(
                    _dir_matches(p, name, rel) for p in rules.norecursedirs
                ):
                    continue
                if not rules.collect_in_virtualenv and rules.norecursedirs and _in_venv(child):
                    continue
                if exclude and exclude(rel + "/"):
                    continue
                kept.append(name)
            dirnames[:] = kept
            for name in filenames:
                if name.endswith(".py"):
                    visit_file(_rel(project, here / name))
            if len(found) > MAX_FILES:
                truncated = True
                break
    return Inventory(tuple(sorted(found)), truncated)


def is_test_file(rel: str, rules: ScanRules) -> bool:
    """A file pytest would collect tests from, and not one the project excludes."""
    return any(_matches(p, rel) for p in rules.python_files) and not (
        rules.exclude and rules.exclude(rel)
    )


def _dir_matches(pattern: str, name: str, rel: str) -> bool:
    if "/" not in pattern:
        return fnmatch.fnmatch(name, pattern)
    return fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, f"*/{pattern}")


def _rel(project: Path, path: Path) -> str:
    try:
        return path.relative_to(project).as_posix()
    except ValueError:
        return path.as_posix()


def tier_roots(tier_paths: Iterable[str]) -> list[str]:
    """The folders the tiers' paths name (a glob's fixed leading directories): scanned
    whatever pytest's own exclusions say - a tier's folder is where its tests live."""
    roots: list[str] = []
    for pattern in tier_paths:
        fixed = []
        for part in PurePosixPath(pattern).parts:
            if GLOB_CHARS & set(part):
                break
            fixed.append(part)
        roots.append("/".join(fixed))
    return _outermost(roots)


def scan_roots(testpaths: Sequence[str]) -> list[str]:
    """Where else test files can live: ``testpaths``, or the whole project without it."""
    return _outermost([p.strip("/") for p in testpaths] if testpaths else [""])


def _outermost(roots: Iterable[str]) -> list[str]:
    found = sorted(set(roots), key=len)
    if "" in found:
        return [""]
    kept: list[str] = []
    for root in found:  # a root inside another root adds nothing
        if not any(root == k or root.startswith(k + "/") for k in kept):
            kept.append(root)
    return kept


#: the words a module that defines a test must hold (unittest's and pytest's defaults): most
#: modules hold none, so the syntax tree is built for few
_TEST_WORDS = (b"def test", b"class Test", b"TestCase")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
#: blocks whose statements run at import as the module's own (``try*`` from Python 3.11)
_BLOCKS: tuple[type, ...] = (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.ExceptHandler,
                             *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


def defines_tests(source: bytes, *, functions: bool = True,
                  function_names: tuple[str, ...] = ("test",),
                  class_names: tuple[str, ...] = ("Test",)) -> bool:
    """Whether a module's text defines a test pytest or unittest would run if it collected
    the module: a top-level test function (when ``functions``), or a test class (named by
    ``class_names``, or deriving from a ``*TestCase``) with a test method of its own, test
    names by the project's ``python_functions``/``python_classes`` (prefixes or globs, as
    pytest reads them: hostile case 391, a ``check_*`` suite), also inside top-level ``if``,
    ``try`` and ``with`` blocks (a test defined under ``if sys.platform ...``). Hostile cases
    347, 351: on disk = collected, whatever the file's name or folder. Text that does not
    parse defines none."""
    words = (*_TEST_WORDS, *(f"def {n}".encode() for n in function_names),
             *(f"class {n}".encode() for n in class_names))
    globbed = any(any(c in n for c in "*?[") for n in (*function_names, *class_names))
    if not globbed and not any(word in source for word in words):
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    for node in _top_level(tree.body):
        if functions and isinstance(node, _DEFS) and _named(node.name, function_names):
            return True
        if isinstance(node, ast.ClassDef) and (
                _named(node.name, class_names) or any(_is_case(base) for base in node.bases)) \
                and any(isinstance(n, _DEFS) and _named(n.name, function_names)
                        for n in node.body):
            return True
    return False


def _top_level(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """A module's top-level statements, those inside top-level ``if``/``try``/``with``
    blocks included (definitions there run at import), never a function's body."""
    for node in body:
        yield node
        if isinstance(node, _BLOCKS):
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from _top_level(getattr(node, field, None) or [])


def _named(name: str, rules: tuple[str, ...]) -> bool:
    """pytest's naming rule: a prefix, or a glob when it holds a glob character."""
    return any(fnmatch.fnmatch(name, rule) if any(c in rule for c in "*?[")
               else name.startswith(rule) for rule in rules)


def _is_case(base: ast.expr) -> bool:
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
    return isinstance(name, str) and name.endswith("TestCase")


def named_as_tests(rel: str, rules: ScanRules | None = None) -> bool:
    """Whether a module's top-level ``test*`` functions are tests: in a file whose name or
    folder says test (a word starting ``test`` or ending ``tests``, any case:
    ``test-payments.py``, ``payments_tests.py``, ``mypkg/tests/``; ``pytest_plugin/`` is no
    test folder); elsewhere such a function is the code's own helper (a report writer's
    ``test_entry``), while a test class says what it is by itself."""
    words = re.split(r"[-_./]", rel.lower().removesuffix(".py"))
    if any(word.startswith("test") or word.endswith("tests") for word in words):
        return True
    # a file named as the project's pytest names test files (``check_*.py``: hostile 391)
    return rules is not None and any(_matches(p, rel) for p in rules.python_files)


def why_not_collected(rel: str, rules: ScanRules) -> str:
    """Why pytest never looked at a test file the tree holds: its name, or its place."""
    if not any(_matches(p, rel) for p in rules.python_files):
        return "its name misses python_files"
    return "it lies outside the collected paths (testpaths, norecursedirs)"
