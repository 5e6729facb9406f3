"""Which tier a test belongs to: explicit marker > path mapping > default tier (pure logic)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_pyramid.globs import GLOB_CHARS, glob_match

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


class TierAssignmentError(Exception):
    """A test with conflicting tier markers, or no tier in strict mode."""


class MarkerRuleError(ValueError):
    """A tier's ``markers`` entry that is neither a marker name nor a marker expression."""


def _is_name(text: str) -> bool:
    return text.isidentifier()


class MarkerRules:
    """Tiers by marker: ``[tool.pyramid.tiers.<tier>] markers = ["slow", "network and not db"]``.

    A plain name is a set lookup; anything else is a marker expression as ``-m`` takes it
    (pytest's own parser), evaluated against the test's marker names. When rules of several
    tiers match, the tier latest in pyramid order wins (a test that is slow *and* needs the
    network belongs with the slower tests).
    """

    def __init__(self, entries: Mapping[str, Iterable[str]], order: Mapping[str, int]) -> None:
        self.order = dict(order)
        self.by_name: dict[str, str] = {}
        self.expressions: list[tuple[Any, str]] = []
        for tier, rules in entries.items():
            for rule in rules:
                if _is_name(rule):
                    self.by_name[rule] = tier
                else:
                    self.expressions.append((compile_marker_expression(rule), tier))
        self.names = frozenset(self.by_name)

    def __bool__(self) -> bool:
        return bool(self.by_name or self.expressions)

    def tier_for(self, names: frozenset[str]) -> str | None:
        found: str | None = None
        order = self.order
        for name in names & self.names:
            tier = self.by_name[name]
            if found is None or order[tier] > order[found]:
                found = tier
        if self.expressions:
            def matcher(name: str, /, **kwargs: object) -> bool:
                return name in names

            for expression, tier in self.expressions:
                if (found is None or order[tier] > order[found]) and expression.evaluate(matcher):
                    found = tier
        return found


def compile_marker_expression(text: str) -> Any:
    """pytest's own ``-m`` expression parser (not a public API: imported here only, and only
    when a tier names an expression)."""
    try:
        from _pytest.mark.expression import Expression
    except ImportError as exc:  # pragma: no cover - a pytest without it
        raise MarkerRuleError(f"{text!r}: marker expressions need pytest's parser: {exc}") from None
    try:
        return Expression.compile(text)
    except Exception as exc:  # pytest raises its own ParseError / SyntaxError
        raise MarkerRuleError(f"{text!r} is not a marker expression: {exc}") from None


class PathRouter:
    """Maps paths relative to the rootdir to tiers, caching per path.

    Plain entries are prefixes on path components (``tests/unit`` matches
    ``tests/unit/test_a.py`` but not ``tests/unit_old``); entries with glob characters
    follow the project's one glob dialect (``pytest_pyramid/globs.py``: ``*`` stays within
    a segment, ``**`` spans directories, a matched directory covers its contents).
    """

    def __init__(self, paths_by_tier: Mapping[str, Iterable[str]]) -> None:
        self._prefixes: list[tuple[str, str]] = []
        self._globs: list[tuple[str, str]] = []
        for tier, patterns in paths_by_tier.items():
            for pattern in patterns:
                target = self._globs if GLOB_CHARS & set(pattern) else self._prefixes
                target.append((pattern, tier))
        # the longest prefix is the most specific: tests/e2e/smoke beats tests/e2e
        self._prefixes.sort(key=lambda entry: len(entry[0]), reverse=True)
        self._cache: dict[str, str | None] = {}

    def tier_for(self, relpath: str) -> str | None:
        try:
            return self._cache[relpath]
        except KeyError:
            pass
        tier = self._match(relpath)
        self._cache[relpath] = tier
        return tier

    def _match(self, relpath: str) -> str | None:
        for prefix, tier in self._prefixes:
            if relpath == prefix or relpath.startswith(prefix + "/"):
                return tier
        for pattern, tier in self._globs:
            if glob_match(pattern, relpath):
                return tier
        return None

    def tiers_under(self, reldir: str) -> set[str] | None:
        """Tiers a directory's contents can map to by path, or None when any may.

        None means some content of the directory is not decided by a prefix alone (a
        glob, a deeper prefix of another tier, or no mapping at all).
        """
        owner = self.tier_for(reldir) if reldir else None
        found: set[str] = set()
        for prefix, tier in self._prefixes:
            if reldir == "" or prefix.startswith(reldir + "/"):
                found.add(tier)
        if self._globs:
            return None
        if owner is None:
            return None
        return found | {owner}


def assign_tier(
    marker_tiers: Iterable[str],
    path_tier: str | None,
    default_tier: str,
    *,
    strict: bool,
    nodeid: str,
) -> str:
    """Apply the precedence rule. ``marker_tiers`` are the distinct tier markers found."""
    distinct = marker_tiers if isinstance(marker_tiers, (set, frozenset)) else set(marker_tiers)
    if len(distinct) > 1:
        raise TierAssignmentError(
            f"{nodeid}: has more than one tier marker ({', '.join(sorted(distinct))}); keep one"
        )
    if distinct:
        return next(iter(distinct))
    if path_tier is not None:
        return path_tier
    if strict:
        raise TierAssignmentError(
            f"{nodeid}: has no tier marker and its path matches no tier's paths (strict mode)"
        )
    return default_tier


def module_marker_names(source: str) -> frozenset[str]:
    """Marker names a test module's ``pytestmark`` declares, read from its source.

    For a module skipped at import (``pytest.importorskip``, ``pytest.skip(...,
    allow_module_level=True)``) pytest has no module object to read the marks from; its
    tier still follows its markers. Any ``<...>.mark.NAME`` or ``mark.NAME`` in a
    module-level ``pytestmark = ...`` (or ``+=``, or annotated) counts.
    """
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return frozenset()
    names: set[str] = set()
    value: ast.expr | None
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [statement.target], statement.value
        else:
            continue
        if value is None or not any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets
        ):
            continue
        for node in ast.walk(value):
            if isinstance(node, ast.Attribute) and _is_mark(node.value):
                names.add(node.attr)
    return frozenset(names)


def _is_mark(node: object) -> bool:
    import ast

    return (isinstance(node, ast.Name) and node.id == "mark") or (
        isinstance(node, ast.Attribute) and node.attr == "mark"
    )
