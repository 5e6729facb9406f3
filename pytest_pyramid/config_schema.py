"""The JSON Schema of ``[tool.pyramid]`` (``config.schema.json`` beside this module), and its
errors as :class:`~pytest_pyramid.errors.ConfigError` naming the key, the value and the file.

The schema decides the *structure* of every table: which keys exist, their types and ranges.
Code keeps only what a schema cannot say (a tier named in ``groups`` exists, custom tiers are
placed after a tier declared before, canary steps ascend, shares add up to at most 1 ...).
The same file is what ``validate-pyproject pyproject.toml`` checks (the
``validate_pyproject.tool_schema`` entry point below) and what editors can complete from.
The ``gates`` part is generated from the gate specs (``gates/schema.py``); a test keeps
the shipped file equal to what the specs give.

Two keywords of our own shape the messages (validators ignore unknown keywords):
``x-message`` is what a failure inside that sub-schema says, ``x-unknown`` how an unknown
key of that table is called ("unknown gate id").
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    import jsonschema

    from pytest_pyramid.schema_passes import SchemaPasses

Schema = dict[str, Any]
Path_ = tuple[str | int, ...]

SCHEMA_FILE = "config.schema.json"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_JSON_TYPES = {
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "string": "a string",
    "array": "a list",
    "object": "a table",
}


@lru_cache(maxsize=1)
def schema_text() -> str:
    """The shipped schema's text (package data). Read as the file beside this module: every
    configured run reads it at start-up, and ``importlib.resources``'s reader costs a few
    times the read; a package not in a folder (a zip import) is read through the reader."""
    try:
        return Path(__file__).with_name(SCHEMA_FILE).read_text("utf-8")
    except OSError:
        return resources.files("pytest_pyramid").joinpath(SCHEMA_FILE).read_text("utf-8")


@lru_cache(maxsize=1)
def load_schema() -> Schema:
    """The shipped schema, parsed."""
    schema: Schema = json.loads(schema_text())
    return schema


def validate_pyproject_schema(tool: str) -> Schema:
    """``validate_pyproject.tool_schema`` entry point: the schema of ``[tool.pyramid]``."""
    return load_schema()


def key_text(path: Sequence[str | int]) -> str:
    """``tiers.unit.budget``, ``gates."static.complexity".threshold``, ``quarantine[0].test``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = part if _PLAIN_KEY.match(part) else json.dumps(part)
        out += f".{name}" if out else name
    return out


def check_table(
    table: Mapping[str, Any], source: str, passes: SchemaPasses | None = None
) -> None:
    """Raise a ConfigError for the first structural problem of a ``[tool.pyramid]`` table.
    The shipped file's text is the schema's identity: a table known to have passed it costs
    neither parsing the 90 kB schema nor encoding it again (about 4 ms of every start-up)."""
    check(load_schema, table, source, passes=passes, text=schema_text())


def check_part(name: str, value: object, source: str) -> None:
    """Check one top-level part (``shape``, ``quarantine`` ...) as the whole schema would."""
    check(load_schema(), {name: value}, source)


def check(
    schema: Schema | Callable[[], Schema],
    instance: object,
    source: str,
    prefix: Path_ = (),
    *,
    passes: SchemaPasses | None = None,
    text: str | None = None,
) -> None:
    """Validate ``instance``; the first problem (the shallowest, as jsonschema ranks them)
    becomes a ConfigError whose key is ``prefix`` + the path inside ``instance``. A valid
    instance is passed by ``quick_valid`` without importing jsonschema; anything else is
    jsonschema's to decide and word.

    ``passes``: inputs known to have passed (pytest's cache, see ``schema_passes``); this
    exact instance against this exact schema is then not validated again, and one that
    passes now is remembered there. ``text``: the schema's own JSON text, when the caller
    holds it (the shipped file), which then names the schema instead of ``schema`` encoded
    again, and ``schema`` may be the function that parses it (called only to validate)."""
    # insertion order: messages list keys as written
    schema_text = text if text is not None else json.dumps(
        schema() if callable(schema) else schema)
    passed = None
    if passes is not None:
        from pytest_pyramid.schema_passes import pass_key

        passed = pass_key(schema_text, instance)
        if passes.knows(passed):
            return
    _finite(instance, prefix, source)
    if quick_valid(_parsed(schema_text), instance) is True:
        # jsonschema would find nothing (the quick check decides as it does): importing it
        # is most of a first run's start-up
        if passes is not None:
            passes.passed(passed)
        return
    validator = _validator(schema_text)
    from jsonschema.exceptions import relevance

    # the shallowest problem first: an unknown table says more than a bad key inside it
    error = max(validator.iter_errors(instance), key=relevance, default=None)  # type: ignore[arg-type]
    if error is None:
        if passes is not None:
            passes.passed(passed)
        return
    key, value, why = explain(error, instance, schema() if callable(schema) else schema)
    raise ConfigError(key_text((*prefix, *key)), value, source, why)


@lru_cache(maxsize=8)
def _parsed(schema_text: str) -> Schema:
    """The schema both checks read, parsed from the one text (a tuple in a schema built in
    code is then a list for both, as JSON has it)."""
    schema: Schema = json.loads(schema_text)
    return schema


@lru_cache(maxsize=8)
def _validator(schema_text: str) -> jsonschema.protocols.Validator:
    import jsonschema

    return jsonschema.Draft7Validator(_parsed(schema_text))


def _finite(value: object, path: Path_, source: str) -> None:
    """TOML has ``nan`` and ``inf``; JSON (and so the schema) cannot say a number is finite."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key_text(path), value, source, "must be a finite number")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _finite(item, (*path, str(key)), source)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _finite(item, (*path, index), source)


# -- the verdict without jsonschema ---------------------------------------------------------------
#
# Importing jsonschema is most of a first run's start-up (a fresh clone has no cache of passes).
# ``quick_valid`` gives jsonschema's Draft7Validator verdict for the keywords our schemas use,
# each written as jsonschema 4 writes it (``_keywords``, ``_legacy_keywords``, ``_types``,
# ``_utils.equal``/``uniq``). It is an allow-list: a keyword it does not know, a ``$ref``
# it cannot follow or anything that raises makes it unsure, and jsonschema decides. Only its
# *pass* skips jsonschema; a failure is always found and worded by jsonschema (the messages
# are jsonschema's path through ``explain``). tests/unit/test_config_schema_quick.py runs a
# table of tables through both and walks every sub-schema with values of every kind.


class _Unsure(Exception):
    """The quick check cannot decide: jsonschema does."""


#: keys Draft7Validator has no rule for (it ignores them; ``then``/``else`` are read by ``if``)
_IGNORED = frozenset({"$schema", "$comment", "title", "description", "default", "examples",
                      "definitions", "then", "else"})
_TRUE, _FALSE = object(), object()


def quick_valid(schema: Schema, instance: object) -> bool | None:
    """jsonschema's verdict on ``instance`` (Draft 7), or None when unsure."""
    try:
        return _Quick(schema).valid(schema, instance)
    except Exception:  # unsure, or something raised: jsonschema decides (and raises its own)
        return None


def _is_type(instance: object, kind: str) -> bool:
    if kind == "object":
        return isinstance(instance, dict)
    if kind == "array":
        return isinstance(instance, list)
    if kind == "string":
        return isinstance(instance, str)
    if kind in ("number", "integer"):
        if isinstance(instance, bool) or not isinstance(instance, numbers.Number):
            return False
        return kind == "number" or isinstance(instance, int) or (
            isinstance(instance, float) and instance.is_integer())
    if kind == "boolean":
        return isinstance(instance, bool)
    if kind == "null":
        return instance is None
    raise _Unsure(kind)  # jsonschema: UnknownType


def _unbool(value: object) -> object:
    return _TRUE if value is True else _FALSE if value is False else value


def _equal(one: object, two: object) -> bool:
    """``1 == 1.0`` but ``true != 1``, into lists and tables (jsonschema's ``equal``)."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=False))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and _equal(value, two[key]) for key, value in one.items())
    return _unbool(one) == _unbool(two)


def _unique(items: list[object]) -> bool:
    """jsonschema's ``uniq``, its shortcut included: sorted, neighbours compared; what does
    not sort is compared pair by pair."""
    try:
        ordered = sorted(_unbool(item) for item in items)  # type: ignore[type-var]
        return not any(_equal(a, b) for a, b in pairwise(ordered))
    except (NotImplementedError, TypeError):
        seen: list[object] = []
        for item in map(_unbool, items):
            if any(_equal(other, item) for other in seen):
                return False
            seen.append(item)
        return True


class _Quick:
    """One check against one root schema (for its ``$ref``s)."""

    def __init__(self, root: Schema) -> None:
        self.root = root

    def valid(self, schema: object, instance: object) -> bool:
        if schema is True or schema is False:
            return schema
        if not isinstance(schema, dict):
            raise _Unsure(schema)
        if "$ref" in schema:  # Draft 7: a $ref's siblings are ignored
            return self.valid(self._target(schema["$ref"]), instance)
        for key, value in schema.items():
            rule = _RULES.get(key)
            if rule is not None:
                if not rule(self, value, instance, schema):
                    return False
            elif not (key in _IGNORED or key.startswith("x-")
                      or (key == "$id" and schema is self.root)):
                raise _Unsure(key)
        return True

    def _target(self, ref: object) -> object:
        """A local ``#/definitions/name``; anything else (another document, an escaped
        name) is jsonschema's to resolve."""
        if not isinstance(ref, str) or not ref.startswith("#/") or any(c in ref for c in "~%"):
            raise _Unsure(ref)
        target: object = self.root
        for part in ref[2:].split("/"):
            if not isinstance(target, dict) or part not in target:
                raise _Unsure(ref)
            target = target[part]
        return target

    # each rule: does ``instance`` meet this keyword (jsonschema's function of that name)

    def type_(self, kinds: object, instance: object, schema: Schema) -> bool:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        return any(_is_type(instance, kind) for kind in kinds)  # type: ignore[attr-defined]

    def properties(self, properties: Schema, instance: object, schema: Schema) -> bool:
        if not isinstance(instance, dict):
            return True
        return all(self.valid(sub, instance[name])
                   for name, sub in properties.items() if name in instance)

    def pattern_properties(self, patterns: Schema, instance: object, schema: Schema) -> bool:
        if not isinstance(instance, dict):
            return True
        return all(self.valid(sub, value) for pattern, sub in patterns.items()
                   for key, value in instance.items() if re.search(pattern, key))

    def additional_properties(self, extra: object, instance: object, schema: Schema) -> bool:
        if not isinstance(instance, dict):
            return True
        known = schema.get("properties", {})
        patterns = "|".join(schema.get("patternProperties", {}))
        extras = [key for key in instance
                  if key not in known and not (patterns and re.search(patterns, key))]
        if isinstance(extra, dict):
            return all(self.valid(extra, instance[key]) for key in extras)
        return bool(extra) or not extras

    def property_names(self, names: object, instance: object, schema: Schema) -> bool:
        return not isinstance(instance, dict) or all(self.valid(names, key) for key in instance)

    def required(self, names: list[str], instance: object, schema: Schema) -> bool:
        return not isinstance(instance, dict) or all(name in instance for name in names)

    def min_properties(self, least: int, instance: object, schema: Schema) -> bool:
        return not isinstance(instance, dict) or len(instance) >= least

    def items(self, items: object, instance: object, schema: Schema) -> bool:
        if not isinstance(instance, list):
            return True
        if isinstance(items, list):
            return all(self.valid(sub, item) for sub, item in zip(items, instance, strict=False))
        return all(self.valid(items, item) for item in instance)

    def min_items(self, least: int, instance: object, schema: Schema) -> bool:
        return not isinstance(instance, list) or len(instance) >= least

    def unique_items(self, unique: object, instance: object, schema: Schema) -> bool:
        return not (unique and isinstance(instance, list)) or _unique(instance)

    def min_length(self, least: int, instance: object, schema: Schema) -> bool:
        return not isinstance(instance, str) or len(instance) >= least

    def pattern(self, pattern: str, instance: object, schema: Schema) -> bool:
        return not isinstance(instance, str) or re.search(pattern, instance) is not None

    def minimum(self, bound: Any, instance: Any, schema: Schema) -> bool:
        return not _is_type(instance, "number") or not instance < bound

    def maximum(self, bound: Any, instance: Any, schema: Schema) -> bool:
        return not _is_type(instance, "number") or not instance > bound

    def exclusive_minimum(self, bound: Any, instance: Any, schema: Schema) -> bool:
        return not _is_type(instance, "number") or not instance <= bound

    def exclusive_maximum(self, bound: Any, instance: Any, schema: Schema) -> bool:
        return not _is_type(instance, "number") or not instance >= bound

    def enum(self, values: list[object], instance: object, schema: Schema) -> bool:
        return any(_equal(value, instance) for value in values)

    def const(self, value: object, instance: object, schema: Schema) -> bool:
        return _equal(instance, value)

    def any_of(self, subs: list[object], instance: object, schema: Schema) -> bool:
        return any(self.valid(sub, instance) for sub in subs)

    def all_of(self, subs: list[object], instance: object, schema: Schema) -> bool:
        return all(self.valid(sub, instance) for sub in subs)

    def not_(self, sub: object, instance: object, schema: Schema) -> bool:
        return not self.valid(sub, instance)

    def if_(self, condition: object, instance: object, schema: Schema) -> bool:
        if self.valid(condition, instance):
            return "then" not in schema or self.valid(schema["then"], instance)
        return "else" not in schema or self.valid(schema["else"], instance)


_RULES: dict[str, Callable[[_Quick, Any, Any, Schema], bool]] = {
    "type": _Quick.type_, "properties": _Quick.properties,
    "patternProperties": _Quick.pattern_properties,
    "additionalProperties": _Quick.additional_properties,
    "propertyNames": _Quick.property_names, "required": _Quick.required,
    "minProperties": _Quick.min_properties, "items": _Quick.items,
    "minItems": _Quick.min_items, "uniqueItems": _Quick.unique_items,
    "minLength": _Quick.min_length, "pattern": _Quick.pattern, "minimum": _Quick.minimum,
    "maximum": _Quick.maximum, "exclusiveMinimum": _Quick.exclusive_minimum,
    "exclusiveMaximum": _Quick.exclusive_maximum, "enum": _Quick.enum, "const": _Quick.const,
    "anyOf": _Quick.any_of, "allOf": _Quick.all_of, "not": _Quick.not_, "if": _Quick.if_,
}


# -- from a jsonschema error to key, value and why ------------------------------------------------


def explain(
    error: jsonschema.ValidationError, root: object, schema_root: Schema
) -> tuple[Path_, object, str]:
    """The key path, the offending value and a sentence saying what is expected."""
    chain = _descend(error)
    leaf = chain[-1]
    path: Path_ = tuple(leaf.absolute_path)
    schema = leaf.schema if isinstance(leaf.schema, Mapping) else {}
    if leaf.validator == "additionalProperties" and isinstance(leaf.instance, Mapping):
        known = _known_keys(schema)
        extra = sorted(k for k in leaf.instance if k not in known and not _patterned(schema, k))
        if extra:
            phrase = str(schema.get("x-unknown", "unknown key"))
            listed = [k for k in known if not _forbidden(schema["properties"][k])]
            return (*path, extra[0]), leaf.instance[extra[0]], (
                f"{phrase}; known: {', '.join(listed)}" if listed else phrase
            )
    if leaf.validator == "required" and isinstance(leaf.instance, Mapping):
        missing = next(k for k in schema["required"] if k not in leaf.instance)
        wanted = _resolve(schema.get("properties", {}).get(missing, {}), schema_root)
        text = describe(wanted, schema_root)
        if text.startswith("required"):
            return (*path, missing), None, text
        return (*path, missing), None, "required" + (f", {_lower(text)}" if text else "")
    message = _own_message(chain)
    if leaf.validator in ("minItems", "minProperties") and leaf.validator_value == 1:
        message = message or "must not be empty (leave the key out instead)"
    why = message or describe(schema, schema_root)
    if path and isinstance(path[-1], int) and not _is_container(schema):
        # a bad entry of a list of scalars: name the list, as the user wrote it
        entry = f"every entry {_lower(why)}" if why.startswith("must") else f"{why} (each entry)"
        return path[:-1], _at(root, path[:-1]), entry
    return path, leaf.instance, why


def _descend(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """Into ``anyOf``/``oneOf``: follow the branch whose type matches the value, so a table
    with one bad key is told about that key, not that it is not a string."""
    from jsonschema.exceptions import relevance

    chain = [error]
    while error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[object, list[jsonschema.ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        typed = [
            errors for errors in branches.values()
            if not any(e.validator == "type" and not e.relative_path for e in errors)
        ]
        if len(typed) != 1:
            break  # no branch (or several) fits the value's type: the anyOf speaks for itself
        error = max(typed[0], key=relevance)
        chain.append(error)
    return chain


def _own_message(chain: list[jsonschema.ValidationError]) -> str | None:
    """The failing sub-schema's ``x-message``; an ``anyOf``'s own speaks only when no branch
    fits the value's type (a branch that fits says better what is wrong)."""
    leaf = chain[-1]
    if isinstance(leaf.schema, Mapping):
        return _message(leaf.schema)
    return None


def _message(schema: Mapping[str, Any]) -> str | None:
    text = schema.get("x-message")
    return str(text) if text else None


def _known_keys(schema: Mapping[str, Any]) -> list[str]:
    return list(schema.get("properties", {}))


def _patterned(schema: Mapping[str, Any], key: str) -> bool:
    return any(re.search(p, key) for p in schema.get("patternProperties", {}))


def _forbidden(schema: object) -> bool:
    return isinstance(schema, Mapping) and "not" in schema


def _is_container(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") in ("object", "array") or "properties" in schema


def _at(root: object, path: Path_) -> object:
    for part in path:
        root = root[part]  # type: ignore[index]
    return root


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _bounds(schema: Mapping[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f" between {low} and {high}"
    if low is not None:
        return f" >= {low}"
    if schema.get("exclusiveMinimum") is not None:
        return f" > {schema['exclusiveMinimum']}"
    if high is not None:
        return f" <= {high}"
    return ""


def _resolve(schema: object, root: Schema) -> object:
    """Follow local ``$ref``s (``#/definitions/level``) to the schema they name."""
    while isinstance(schema, Mapping) and str(schema.get("$ref", "")).startswith("#/"):
        target: object = root
        for part in str(schema["$ref"])[2:].split("/"):
            target = target[part] if isinstance(target, Mapping) else {}
        schema = target
    return schema


def describe(schema: object, root: Schema | None = None) -> str:
    """What a sub-schema expects, in words: ``must be a whole number >= 1``."""
    schema = _resolve(schema, root or {})
    if not isinstance(schema, Mapping):
        return ""
    if text := _message(schema):
        return text
    if "enum" in schema:
        return "must be one of " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return f"must be {schema['const']!r}"
    if "not" in schema:
        return "cannot be set here"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [describe(s, root).removeprefix("must be ") for s in schema[key]]
            return "must be " + " or ".join(o for o in options if o)
    kind = schema.get("type")
    if kind == "boolean":
        return "expected true or false"
    if kind in ("integer", "number"):
        return f"must be {_JSON_TYPES[kind]}{_bounds(schema)}"
    if kind == "string":
        if schema.get("minLength") or schema.get("pattern") == r"\S":
            return "must be a non-empty string"
        if "pattern" in schema:
            return f"must be a string matching {schema['pattern']}"
        return "must be a string"
    if kind == "array":
        items = describe(schema.get("items", {}), root).removeprefix("must be ")
        plural = _plural(items) if items else "values"
        lead = "a non-empty list" if schema.get("minItems") else "a list"
        return f"must be {lead} of {plural}"
    if kind == "object":
        return "must be a table"
    return "has a value of the wrong kind"


def _plural(text: str) -> str:
    """``a non-empty string`` -> ``non-empty strings`` (just enough for our own schema)."""
    text = text.removeprefix("a ").removeprefix("an ")
    head, _, tail = text.partition(" ")
    words = text.split(" ")
    for index, word in enumerate(words):
        if word in ("string", "number", "table", "list", "path"):
            words[index] = word + "s"
            return " ".join(words)
    return f"{head} {tail}".strip()
