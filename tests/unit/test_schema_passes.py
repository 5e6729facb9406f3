"""``schema_passes``: an entry vouches for one exact input against one exact schema and
validator, nothing else; a missing, corrupt or foreign entry only costs a check."""

from __future__ import annotations

import datetime as dt
import math
import os
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid import schema_passes
from pytest_pyramid.config_schema import check, check_table, load_schema, schema_text
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.schema_passes import KEEP, SchemaPasses, pass_key

if TYPE_CHECKING:
    from pathlib import Path

SCHEMA = '{"type": "object"}'
TABLE: dict[str, Any] = {"default_tier": "unit", "strict": True, "tiers": {"unit": {"budget": 1}}}


@pytest.mark.parametrize(
    ("other_schema", "other"),
    [
        pytest.param(SCHEMA, {**TABLE, "strict": 1}, id="true-vs-1"),
        pytest.param(SCHEMA, {**TABLE, "strict": "true"}, id="true-vs-string"),
        pytest.param(SCHEMA, {**TABLE, "tiers": {"unit": {"budget": 1.0}}}, id="1-vs-1.0"),
        pytest.param(SCHEMA, {**TABLE, "default_tier": "unit "}, id="one-character"),
        pytest.param(SCHEMA, {"strict": True, "default_tier": "unit",
                              "tiers": {"unit": {"budget": 1}}}, id="reordered"),
        pytest.param(SCHEMA, {**TABLE, "extra": []}, id="a-key-more"),
        pytest.param('{"type": "array"}', TABLE, id="another-schema"),
        pytest.param(SCHEMA + " ", TABLE, id="schema-text-byte"),
    ],
)
def test_a_key_names_exactly_one_input_and_schema(other_schema: str, other: object) -> None:
    assert pass_key(SCHEMA, TABLE) == pass_key(SCHEMA, dict(TABLE))
    assert pass_key(other_schema, other) != pass_key(SCHEMA, TABLE)


def test_the_key_covers_the_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    before = pass_key(SCHEMA, TABLE)
    monkeypatch.setattr(schema_passes, "validator_identity", lambda: b"jsonschema 99")
    assert pass_key(SCHEMA, TABLE) != before


def test_the_validator_is_the_quick_check_and_jsonschema() -> None:
    """A valid table is passed by ``config_schema``'s quick check, a refused one by jsonschema:
    a new version of either file is a new key."""
    import jsonschema

    from pytest_pyramid import config_schema

    lines = schema_passes.validator_identity().decode().splitlines()
    assert lines[1].startswith(f"{config_schema.__file__}:")
    deciding = os.path.join(os.path.dirname(jsonschema.__file__), "validators.py")
    assert any(line.startswith(f"{deciding}:") for line in lines)


@pytest.mark.parametrize(
    "value",
    [dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, 12, 0), dt.time(12, 0), math.nan, math.inf,
     -math.inf],
    ids=["date", "datetime", "time", "nan", "inf", "-inf"],
)
def test_values_without_exact_json_give_no_key(value: object) -> None:
    assert pass_key(SCHEMA, {"nested": [{"value": value}]}) is None


def _entry(folder: Path, key: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / key).write_text(text)


@pytest.mark.parametrize(
    ("setup", "known"),
    [
        pytest.param(lambda folder, key: None, False, id="missing"),
        pytest.param(lambda folder, key: _entry(folder, key, key), True, id="written"),
        pytest.param(lambda folder, key: _entry(folder, key, ""), False, id="empty"),
        pytest.param(lambda folder, key: _entry(folder, key, key[:-1]), False, id="truncated"),
        pytest.param(lambda folder, key: _entry(folder, key, "0" * 64), False, id="other-key"),
        pytest.param(lambda folder, key: (folder / key).mkdir(parents=True), False,
                     id="a-directory"),
        pytest.param(lambda folder, key: (folder.parent.mkdir(parents=True),
                                          folder.write_text("x")), False,
                     id="folder-is-a-file"),
    ],
)
def test_only_an_entry_holding_its_own_key_is_known(
    tmp_path: Path, setup: Any, known: bool
) -> None:
    folder = tmp_path / "cache" / "pytest-pyramid"
    key = pass_key(SCHEMA, TABLE)
    assert key is not None
    setup(folder, key)
    assert SchemaPasses(folder).knows(key) is known
    assert SchemaPasses(None).knows(key) is False
    assert SchemaPasses(folder).knows(None) is False


def test_save_writes_new_entries_and_keeps_the_newest(tmp_path: Path) -> None:
    folder = tmp_path / "passes"
    keys = [pass_key(SCHEMA, {"n": n}) for n in range(KEEP + 3)]
    for index, key in enumerate(keys):  # one run each
        passes = SchemaPasses(folder)
        passes.passed(key)
        passes.passed(key)
        assert passes.new == [key]
        passes.save(folder)
        os.utime(folder / str(key), ns=(index * 10**9, index * 10**9))
    assert sorted(p.name for p in folder.iterdir()) == sorted(str(k) for k in keys[-KEEP:])
    assert SchemaPasses(folder).knows(keys[-1])
    assert not SchemaPasses(folder).knows(keys[0])


def test_an_unwritable_cache_is_only_a_check_next_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    passes = SchemaPasses(blocked)
    passes.passed(pass_key(SCHEMA, TABLE))
    passes.save(blocked)  # no exception
    assert blocked.read_text() == "not a folder"


# -- config_schema.check with a record of passes -----------------------------------------------


def test_check_remembers_a_pass_and_skips_that_exact_input_only(tmp_path: Path) -> None:
    schema = load_schema()
    good = {"default_tier": "unit"}
    bad = {"default_tier": 3}
    passes = SchemaPasses(tmp_path)
    check(schema, good, "/p/pyproject.toml", passes=passes)
    assert passes.new == [pass_key(_text(schema), good)]
    passes.save(tmp_path)
    again = SchemaPasses(tmp_path)
    check(schema, good, "/p/pyproject.toml", passes=again)
    assert again.new == []  # known: nothing to remember
    with pytest.raises(ConfigError, match="default_tier"):
        check(schema, bad, "/p/pyproject.toml", passes=again)
    assert again.new == []  # a failure is never remembered


def test_a_table_that_never_passed_is_checked_whatever_the_folder_holds(tmp_path: Path) -> None:
    schema = load_schema()
    for name in ("0" * 64, "garbage", "f" * 64):
        (tmp_path / name).write_text(name)
    with pytest.raises(ConfigError, match="strict"):
        check(schema, {"strict": "yes"}, "/p/pyproject.toml", passes=SchemaPasses(tmp_path))


def test_a_table_without_a_key_is_checked_every_time(tmp_path: Path) -> None:
    passes = SchemaPasses(tmp_path)
    with pytest.raises(ConfigError, match="finite"):
        check(load_schema(), {"tiers": {"unit": {"budget": math.inf}}}, "/p/pyproject.toml",
              passes=passes)
    check(load_schema(), {"quarantine": [{"test": "t", "reason": "r", "owner": "o",
                                           "expires": dt.date(2099, 1, 1)}]},
          "/p/pyproject.toml", passes=passes)
    assert passes.new == []


def _text(schema: dict[str, Any]) -> str:
    import json

    return json.dumps(schema)


def test_a_known_table_is_checked_without_parsing_the_shipped_schema(tmp_path: Path) -> None:
    good, bad = {"default_tier": "unit"}, {"default_tier": 3}
    first = SchemaPasses(tmp_path)
    check_table(good, "/p/pyproject.toml", first)
    # the shipped file's text names the schema: one byte of it changed is another key
    assert first.new == [pass_key(schema_text(), good)]
    first.save(tmp_path)
    load_schema.cache_clear()
    again = SchemaPasses(tmp_path)
    check_table(good, "/p/pyproject.toml", again)
    assert load_schema.cache_info().misses == 0  # known: the 90 kB schema was not parsed
    with pytest.raises(ConfigError, match="default_tier"):
        check_table(bad, "/p/pyproject.toml", again)  # unknown: parsed, checked, named
    assert load_schema.cache_info().misses == 1
