"""``config_schema.quick_valid`` gives jsonschema's verdict (Draft 7) without importing it, so a
first run with no cache of passes starts fast; only its *pass* skips jsonschema. Every row is
run through both checks and must get the same answer: a table of JSON Schema's corners, a
probe of every sub-schema of the shipped schema with values of every kind, and the whole
``FULL`` table with each of its values replaced, each of its keys left out and a stray key
added at each level."""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from pytest_pyramid.config_schema import check_table, load_schema, quick_valid, schema_text
from pytest_pyramid.errors import ConfigError
from tests.unit.test_config_schema import SRC, full_table

if TYPE_CHECKING:
    from collections.abc import Iterator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Schema = dict[str, Any]


def _jsonschema(schema: Schema, instance: object) -> bool:
    return bool(jsonschema.Draft7Validator(schema).is_valid(instance))


#: (schema, instance, jsonschema's verdict): the corners of the keywords the quick check knows
CORNERS: list[tuple[Schema, object, bool]] = [
    ({"type": "integer"}, 1.0, True),  # Draft 6+: a float with no fraction is an integer
    ({"type": "integer"}, 1.5, False),
    ({"type": "integer"}, True, False),  # a bool is never a number
    ({"type": "number"}, False, False),
    ({"type": ["string", "integer"]}, 3, True),
    ({"type": "object"}, [], False),
    ({"type": "array"}, (), False),  # only a list is an array
    ({"type": "null"}, None, True),
    ({"enum": [1]}, True, False),
    ({"enum": [1]}, 1.0, True),
    ({"enum": [[1, {"a": False}]]}, [1.0, {"a": False}], True),
    ({"const": False}, 0, False),
    ({"const": {"a": 1}}, {"a": 1, "b": 2}, False),
    ({"uniqueItems": True}, [1, True], True),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 1}], False),
    ({"uniqueItems": True}, [[1], [True], [1]], True),  # jsonschema's sorted shortcut
    ({"uniqueItems": False}, [1, 1], True),
    ({"minimum": 1}, "0", True),  # bounds apply to numbers only
    ({"minimum": 1}, True, True),
    ({"minimum": 1}, 0.5, False),
    ({"exclusiveMinimum": 0}, 0, False),
    ({"exclusiveMaximum": 1}, 1.0, False),
    ({"maximum": 100}, 100, True),
    ({"minLength": 1}, "", False),
    ({"minLength": 1}, [], True),
    ({"pattern": "^a+$"}, "aa\n", True),  # re.search: $ matches before a final newline
    ({"pattern": "b"}, "abc", True),  # not anchored
    ({"pattern": "b"}, 5, True),
    ({"items": {"type": "string"}}, ["a", 1], False),
    ({"items": [{"type": "string"}]}, ["a", 1], True),  # a list of schemas: one per place
    ({"minItems": 1}, {}, True),
    ({"required": ["a"]}, {"b": 1}, False),
    ({"required": ["a"]}, ["a"], True),
    ({"minProperties": 1}, {}, False),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"ab": 1, "A": 2}, False),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False},
     {"a": "x", "b": 1}, False),
    ({"patternProperties": {"^x-": {"type": "integer"}, "^y": {}},
      "additionalProperties": False}, {"x-1": 1, "yz": "s"}, True),
    ({"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": False},
     {"x-1": "s"}, False),
    ({"additionalProperties": {"type": "integer"}}, {"a": 1, "b": "x"}, False),
    ({"anyOf": [{"type": "string"}, {"minimum": 3}]}, 2, False),
    ({"anyOf": [{"type": "string"}, {"minimum": 3}]}, 4, True),
    ({"allOf": [{"type": "integer"}, {"minimum": 3}]}, 2, False),
    ({"not": {}}, 1, False),
    ({"not": {"type": "string"}}, 1, True),
    ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"minimum": 0}}, "a", False),
    ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"minimum": 0}}, -1, False),
    ({"if": {"type": "string"}, "else": {"minimum": 0}}, "a", True),
    ({"then": {"type": "string"}}, 1, True),  # without an if, then is nothing
    ({"definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s"}}},
     {"a": 1}, False),
    # Draft 7: the siblings of a $ref are ignored
    ({"definitions": {"s": {"type": "string"}},
      "properties": {"a": {"$ref": "#/definitions/s", "minLength": 5}}}, {"a": "x"}, True),
    ({"x-message": "m", "description": "d", "title": "t", "default": 1}, 1, True),
]


@pytest.mark.parametrize(("schema", "instance", "verdict"), CORNERS)
def test_the_quick_check_decides_every_corner_as_jsonschema(
    schema: Schema, instance: object, verdict: bool
) -> None:
    assert _jsonschema(schema, instance) is verdict
    assert quick_valid(schema, instance) is verdict


def test_where_jsonschema_versions_differ_the_quick_check_is_the_stricter() -> None:
    """jsonschema 4.18 (the floor) compared an ``enum`` value other than 0 or 1 with Python's
    ``==`` (``[true] == [1]``); 4.26 compares as it does ``const``. The quick check refuses
    such a value as 4.26 does, so on an older jsonschema it only sends the table to it: no
    version's refusal is ever passed."""
    assert quick_valid({"enum": [[1]]}, [True]) is False
    assert quick_valid({"enum": [{"a": 0}]}, {"a": False}) is False


@pytest.mark.parametrize(
    "schema",
    [
        {"format": "email"},  # a keyword it does not know
        {"multipleOf": 2},
        {"maxLength": 3},
        {"properties": {"a": {"oneOf": [{}]}}},
        {"$ref": "other.json#/a"},  # another document
        {"definitions": {"a~b": {}}, "$ref": "#/definitions/a~0b"},  # an escaped name
        {"$ref": "#/definitions/missing"},
        {"properties": {"a": {"$id": "inner", "type": "string"}}},  # a new base for refs
        {"type": "any"},  # not a Draft 7 type: jsonschema raises
        {"properties": {"a": {"pattern": "("}}},  # not a regular expression: jsonschema raises
        {"properties": {"a": 5}},  # not a schema
    ],
)
def test_what_the_quick_check_does_not_know_is_left_to_jsonschema(schema: Schema) -> None:
    assert quick_valid(schema, {"a": "x"}) is None


def test_an_unknown_keyword_is_unsure_even_where_the_rest_passes() -> None:
    schema = {"properties": {"a": {"type": "string", "format": "date"}}}
    assert quick_valid(schema, {"a": "x"}) is None
    assert quick_valid(schema, {"b": "x"}) is True  # a sub-schema not reached decides nothing


# -- real tables: the documentation's, and mistakes a user makes -------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _documented_tables() -> list[tuple[str, Schema]]:
    """Every ``[tool.pyramid]`` table in a TOML block of the README and docs/."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        blocks = re.findall(r"```toml\n(.*?)```", path.read_text("utf-8"), re.DOTALL)
        for index, block in enumerate(blocks):
            table = tomllib.loads(block).get("tool", {}).get("pyramid")
            if table is not None:
                found.append((f"{path.name}[{index}]", table))
    return found


DOCUMENTED = _documented_tables()

#: tables a user could write by mistake: each refused by jsonschema, and so by the quick check
MISTAKES: list[Schema] = [
    {"default_tier": 3},
    {"strict": "yes"},
    {"stict": True},
    {"tiers": {"unit": {"budget": "1 minute"}}},
    {"tiers": {"unit": {"paths": "tests/unit"}}},
    {"tiers": {"unit": {"coverage": 101}}},
    {"tiers": {"smoke": {"after": 1}}},
    {"services": {"postgres_providers": ["url", "url"]}},  # uniqueItems
    {"deploy": {"environments": {"my env": {}}}},  # propertyNames
    {"deploy": {"verify": {"tier": "smoke", "when": ["each-step", "each-step"]}}},
    {"static": {"enabled": "always"}},
    # if/then/else: a comparison needs rollout = true and a change; a threshold no change
    {"metrics": {"m": {"source": "command", "command": ["x"], "compare": "baseline",
                       "change": ">= -0.1"}}},
    {"metrics": {"m": {"source": "command", "command": ["x"], "compare": "baseline",
                       "change": ">= -0.1", "rollout": True, "threshold": "> 1"}}},
    {"metrics": {"m": {"source": "command", "command": ["x"], "threshold": "> 1",
                       "change": ">= 0"}}},
    {"gates": {"static.complexity": "sometimes"}},
    {"gates": {"tests.pass_rate": "off"}},
    {"gates": {"static.duplication": {"threshold": -1}}},
    {"quarantine": [{"test": "t", "owner": "o", "reason": "r"}]},
    {"shape": {"targets": {}}},
    {"deploy": {"require_signature": 1}},
    {"deploy": {"steps": [5, "25"]}},
    {"coverage": {"total": True}},
]


#: valid tables that take the schema's rarer keywords' passing side
TRICKY: list[Schema] = [
    {"services": {"postgres_providers": ["url", "binaries"]}},
    {"deploy": {"environments": {"prod-eu_1": {}},
                "verify": {"tier": "smoke", "when": ["pre-traffic", "each-step"]}}},
    {"static": {"enabled": "auto"}},
    {"metrics": {"m": {"source": "command", "command": ["x"], "compare": "baseline",
                       "change": ">= -0.1", "rollout": True}}},
    {"metrics": {"m": {"source": "command", "command": ["x"], "threshold": "> 1"}}},
    {"tiers": {"unit": {"budget": 30.0, "coverage": 100}}, "release_tiers": ["unit", "unit"]},
]


def test_the_documentation_holds_tables() -> None:
    assert len(DOCUMENTED) > 20


@pytest.mark.parametrize(("where", "table"), DOCUMENTED, ids=[w for w, _ in DOCUMENTED])
def test_every_documented_table_is_valid_to_both_checks(where: str, table: Schema) -> None:
    assert (_jsonschema(load_schema(), table), quick_valid(load_schema(), table)) == (True, True)


@pytest.mark.parametrize("table", TRICKY, ids=[json.dumps(t) for t in TRICKY])
def test_every_tricky_valid_table_is_valid_to_both_checks(table: Schema) -> None:
    assert (_jsonschema(load_schema(), table), quick_valid(load_schema(), table)) == (True, True)


@pytest.mark.parametrize("table", MISTAKES, ids=[json.dumps(t) for t in MISTAKES])
def test_every_mistake_is_refused_by_both_checks(table: Schema) -> None:
    assert (_jsonschema(load_schema(), table), quick_valid(load_schema(), table)) == (False, False)


# -- every sub-schema of the shipped schema, probed ---------------------------------------------

#: values of every kind TOML gives, and the corners of the schema's own bounds
KINDS: list[object] = [
    True, False, 0, 1, -1, 2, 0.5, 1.0, 99.5, 100, 101, 1e9, "", " ", "x", "unit", "5s", "0s",
    "1 minute", "off", "block", "warn", "skip", "fail", "< 500", "50%", "0.5", "p(95) < 2000",
    "main", "a/b", "tests/unit", "--flag", "-p x", "HEAD", "abc123", [], ["x"], ["x", "x"],
    [1], ["unit", "e2e"], [{}], {}, {"x": 1}, {"unit": 0.5}, {"level": "warn"},
]


def _walk(schema: object, root: Schema) -> Iterator[Schema]:
    """Every sub-schema (each once), following local $refs."""
    seen: set[int] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict) and "$ref" in node:
            node = _resolve(node["$ref"], root)
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        for key in ("properties", "patternProperties"):
            stack.extend(node.get(key, {}).values())
        for key in ("additionalProperties", "items", "not", "propertyNames", "if", "then",
                    "else"):
            stack.append(node.get(key))
        for key in ("anyOf", "allOf", "oneOf"):
            stack.extend(node.get(key, []))


def _resolve(ref: str, root: Schema) -> object:
    target: Any = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def _values_of(schema: Schema) -> list[object]:
    """The values a sub-schema names (its enum, const, bounds), beside every kind."""
    own: list[object] = [*schema.get("enum", []), *([schema["const"]] if "const" in schema else [])]
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in schema:
            bound = schema[key]
            own += [bound, bound - 1, bound + 1, bound - 0.001, bound + 0.001]
    return own + KINDS


def _objects_for(schema: Schema) -> list[object]:
    """Tables for an object schema: each known key given each kind, its required keys
    filled with a string, and a stray key."""
    required = {name: "x" for name in schema.get("required", [])}
    tables: list[object] = [required, {**required, "stray-key": 1}]
    for index, name in enumerate(schema.get("properties", {})):
        tables += [{**required, name: value} for value in KINDS[index % 4::4]]
    return tables


def _disagreements(root: Schema) -> tuple[list[str], int]:
    """(sub-schema, value) pairs on which the two checks differ, and how many were tried."""
    validator = jsonschema.Draft7Validator(root)
    found, tried = [], 0
    for sub in _walk(root, root):
        one = validator.evolve(schema=sub)
        values = _values_of(sub) + (_objects_for(sub) if sub.get("type") == "object" else [])
        for value in values:
            tried += 1
            quick = _quick_at(root, sub, value)
            if quick is not one.is_valid(value):
                found.append(f"{json.dumps(sub)[:120]} with {value!r}: quick says {quick}")
    return found, tried


def _quick_at(root: Schema, sub: Schema, value: object) -> bool | None:
    """The quick check of ``value`` against ``sub`` of ``root`` (its $refs resolve in root)."""
    if sub is root:
        return quick_valid(root, value)
    return quick_valid({**root, "properties": {"probe": sub}, "required": ["probe"],
                        "additionalProperties": True}, {"probe": value})


def test_every_sub_schema_of_the_shipped_schema_gets_jsonschema_s_verdict() -> None:
    found, tried = _disagreements(load_schema())
    assert tried > 20000  # the probe reached the schema's parts
    assert found == []


# -- whole tables, through check_table ----------------------------------------------------------


def _leaves(table: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(table, dict):
        for key, value in table.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(table, list):
        for index, value in enumerate(table):
            yield from _leaves(value, (*path, index))


def _variants(table: Schema) -> Iterator[Schema]:
    """The full table with each value replaced by values of other kinds, each key left out,
    and a stray key beside each key; only the top-level part that changed (the root checks
    each part on its own, and jsonschema takes milliseconds for the whole table)."""
    for number, path in enumerate(list(_leaves(table))[1:]):
        *parent_path, last = path
        for change in [*KINDS[number % 9::9], "leave out", "stray"]:
            top = str(path[0])
            variant: Schema = {top: copy.deepcopy(table[top])}
            parent: Any = variant
            for part in parent_path:
                parent = parent[part]
            if change == "leave out":
                del parent[last]
            elif change != "stray":
                parent[last] = change
            elif isinstance(parent, dict):
                parent["stray-key"] = 1
            else:
                continue
            yield variant


def test_the_full_table_and_its_variants_get_jsonschema_s_verdict() -> None:
    table = full_table()
    table["quarantine"][0]["expires"] = "2026-12-31"  # a TOML date has no JSON form
    schema = load_schema()
    validator = jsonschema.Draft7Validator(schema)
    verdicts = [(validator.is_valid(variant), quick_valid(schema, variant))
                for variant in [table, *_variants(table)]]
    assert verdicts[0] == (True, True)
    assert len(verdicts) > 800
    assert {jsonschema_says for jsonschema_says, _ in verdicts} == {True, False}
    assert [v for v in verdicts if v[0] is not v[1]] == []


def test_a_table_the_quick_check_refuses_is_worded_by_jsonschema() -> None:
    """The message of a refused table is what it always was (jsonschema's error, explained)."""
    bad = {"tiers": {"unit": {"budget": "1 minute"}}}
    assert quick_valid(load_schema(), bad) is False
    with pytest.raises(ConfigError) as info:
        check_table(bad, SRC)
    assert (info.value.key, info.value.value) == ("tiers.unit.budget", "1 minute")
    assert "expected a duration like '30s'" in info.value.why


def test_the_shipped_schema_and_the_gates_schema_are_known_to_the_quick_check() -> None:
    """Every first run takes the quick path: nothing in our own schemas makes it unsure."""
    from pytest_pyramid.gates.engine import discover, gates_schema

    assert quick_valid(json.loads(schema_text()), full_table() | {"quarantine": []}) is True
    assert quick_valid(json.loads(json.dumps(gates_schema(discover()))), {}) is True
