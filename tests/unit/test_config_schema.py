"""The ``[tool.pyramid]`` JSON Schema: one source of truth for the structure of every table,
the messages it gives, its agreement with the code that owns each part (gate specs,
durations, deploy), and the real validate-pyproject reading it through our entry point."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_pyramid.config import parse_settings
from pytest_pyramid.config_schema import check_table, describe, key_text, load_schema
from pytest_pyramid.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SRC = "/p/pyproject.toml"

#: every table the schema knows, each with most of its keys: what a large project writes
FULL = textwrap.dedent(
    """
    default_tier = "unit"
    strict = false
    verdict = "out/pyramid-verdict.json"
    release_tiers = ["unit", "integration", "e2e"]
    fail_fast = false
    budget_level = "block"
    source = ["src/shop"]
    exclude = ["tests/**/fixtures/**", "tests/legacy"]
    coverage_source = ["shop"]

    [tiers.unit]
    paths = ["tests/unit", "tests/**/test_*_unit.py"]
    test_timeout = "2s"
    budget = "30s"
    coverage = 90

    [tiers.smoke]
    after = "unit"
    paths = ["tests/smoke"]
    budget = 60
    budget_level = "warn"
    description = "a handful of end-to-end checks"

    [tiers.e2e]
    test_timeout = "off"

    [groups]
    pre_merge = ["unit", "smoke"]

    [thresholds]
    "api.p95_ms" = "< 500"
    [thresholds."page.load_ms{page:home}"]
    threshold = "p(95) < 2000"
    level = "warn"
    on_missing = "skip"
    tier = "e2e"

    [gates]
    "static.complexity" = "block"
    "static.duplication" = { threshold = 5, min_tokens = 70 }
    "static.audit" = { on_missing = "fail", ignore = ["GHSA-1"], timeout_s = 120 }
    "tests.flaky" = { level = "approve", threshold = 2 }

    [[quarantine]]
    test = "tests/unit/test_a.py::test_x"
    owner = "alice"
    expires = 2026-12-31
    reason = "PAY-123"

    [shape]
    targets = { unit = 0.7, e2e = 0.1 }
    tolerance = 0.1
    min_tests = 20

    [static]
    enabled = "auto"
    tier = "security"
    cache = true
    exclude = ["**/migrations/**"]
    sarif = ".pyramid/bandit.sarif"

    [risk]
    base = "origin/main"
    approval_from = "medium"
    levels = { medium = 3, high = 6 }
    size = [{ min_lines = 200, weight = 1 }]
    [risk.factors.billing]
    paths = ["billing/**"]
    weight = 4

    [approvals]
    low = { approvals = 1, roles = ["tech_lead"] }

    [coverage]
    total = 85
    changed_lines = 80
    base = "origin/main"
    min_changed_lines = 10
    level = "block"
    levels = { changed_lines = "warn", unit = "approve" }
    max_uncovered_files = 10

    [deploy]
    strategy = "canary"
    steps = [5, 25, 100]
    interval = "10s"
    error_rate_limit = "0.5%"
    p95_limit = "500ms"
    compare_with_stable = true
    port = 8080
    health_path = "/healthz"
    smoke_paths = ["/", "/items"]
    trusted_keys = ["ci.pub"]
    require_signature = true
    bake = "1m"
    request_timeout = "10s"
    progress_deadline = "5m"
    approvers = { alice = { key = "alice.pub", roles = ["tech_lead"] } }
    deployers = { bob = { keys = ["bob.pub", "bob-2024.pub"] } }
    deployer_key = "bob.key"
    """
)


def full_table() -> dict[str, Any]:
    return tomllib.loads(FULL)


def test_the_shipped_schema_is_a_draft7_schema_with_an_id() -> None:
    import jsonschema

    schema = load_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    # validate-pyproject refuses a tool schema without these two
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"]


def test_the_gates_part_is_generated_from_the_gate_specs() -> None:
    """One source of truth: the specs. The shipped copy (what validate-pyproject and editors
    read) must be what they give."""
    from pytest_pyramid.gates.engine import discover, gates_schema

    generated = json.loads(json.dumps(gates_schema(discover())))
    assert load_schema()["properties"]["gates"] == generated, (
        "the gates part of config.schema.json is stale: run python -m pytest_pyramid.gates.schema"
    )


def test_the_duration_pattern_is_the_parsers_own() -> None:
    from pytest_pyramid.durations import _DURATION, parse_duration

    string_branch = load_schema()["definitions"]["duration"]["anyOf"][1]
    assert string_branch["pattern"] == _DURATION.pattern
    for text in ["30s", "250ms", "5m", "1h", " 2.5 s ", "10", "1 minute", "-1s", "1d", "s", ""]:
        try:
            parse_duration(text)
            parses = True
        except ValueError:
            parses = False
        try:
            check_table({"deploy": {"interval": text}}, SRC)
            valid = True
        except ConfigError:
            valid = False
        assert valid == parses, text


def test_a_table_using_every_part_is_valid_and_parses(tmp_path: Path) -> None:
    from pytest_pyramid.deploy.config import build_config
    from pytest_pyramid.gates.cov.config import parse_coverage_settings
    from pytest_pyramid.gates.engine import GateEngine

    table = full_table()
    check_table(table, SRC)
    settings = parse_settings(table, SRC, tmp_path, {})
    assert settings.tier_names[:2] == ("unit", "smoke")
    assert settings.tiers["e2e"].test_timeout is None
    engine = GateEngine.from_settings(settings, environ={})
    ids = {item.spec.id for item in engine.prepared}
    assert {"pyramid.shape", "risk.approval", "tests.quarantine"} <= ids
    cov = parse_coverage_settings(table, SRC, settings.tier_names)
    assert (cov.total, cov.changed_lines_level) == (85.0, "warn")
    deploy = build_config(table["deploy"], source=SRC, root=tmp_path)
    assert deploy.steps == (5, 25, 100)
    assert [p.name for p in deploy.approvers] == ["alice"]


def test_the_deploy_part_is_generated_from_the_deploy_keys() -> None:
    """One source of truth: deploy/config.py's KEYS (the parser validates with each key's
    schema). The shipped copy must be what they give."""
    from pytest_pyramid.deploy.schema import deploy_schema

    generated = json.loads(json.dumps(deploy_schema()))
    assert load_schema()["properties"]["deploy"] == generated, (
        "the deploy part of config.schema.json is stale: run python -m pytest_pyramid.deploy.schema"
    )


def test_the_schema_knows_every_deploy_key_the_deploy_parser_reads() -> None:
    """Each key of KEYS (and the removed ones, called removed), and the environments table
    whose tables hold the same keys, nothing more."""
    from pytest_pyramid.deploy.config import KEYS, REMOVED

    known = load_schema()["properties"]["deploy"]["properties"]
    assert set(known) == set(KEYS) | set(REMOVED) | {"environments"}
    environment = known["environments"]["additionalProperties"]["properties"]
    assert environment == {name: key.schema for name, key in KEYS.items()}
    for name in REMOVED:
        assert "not" in known[name]
        assert "no longer supported" in known[name]["x-message"]


#: values tried on EVERY deploy key: each kind's edges (zero, negatives, out of range, the
#: wrong type, text forms a flag would give, empty and odd containers)
PROBES: list[object] = [
    0, 1, -1, 2.5, 8080.0, 65535, 65536, 0.005, 1.5, float("nan"), True, False,
    "", " ", "x", "3", "0", "10s", "0s", "0ms", "-1s", "1 minute", "250ms", "1.5h", "/", "/ok",
    "ok", "0.5%", "100%", "150%", "1e-3%", "yes", "canary", "blue-green", "nginx", "command",
    "5,25,100", [], [""], ["a"], ["/a", "/b"], [5, 100], [5, 50], [50, 25, 100], [0, 100],
    [5, 5, 100], [100], [1.5, 100], {}, {"a": {"key": "k", "roles": ["r"]}}, {"a": {"key": "k"}},
    {"a": {"keys": ["k1", "k2"]}}, {"a": {"keys": []}}, {"a": {"key": "k", "roles": []}},
    {"a": {"key": " ", "roles": ["r"]}}, {"a": {"key": "k", "roles": ["r"], "role": 1}},
    {"a": "k"},
]
#: what the deploy parser refuses after the schema accepted the form: the only checks a
#: JSON Schema cannot express (canary steps ascend and end at 100)
BEYOND_SCHEMA = {("steps", "[5, 50]"), ("steps", "[50, 25, 100]"), ("steps", "[5, 5, 100]")}


def test_the_deploy_parser_refuses_exactly_what_its_schema_refuses(tmp_path: Path) -> None:
    """Issue 21, defect 2: the schema and the deploy parser disagreed on 7 of 10 probed
    values (``port = 0`` passed one and failed the other, so pytest said READY and
    ``pyramid check`` of that verdict exited 3). Every key x every probe, through the real
    routes: the whole-table schema check (pytest, ``config check``) and ``build_config``."""
    from pytest_pyramid.deploy.config import KEYS, build_config

    disagreements = []
    for key in KEYS:
        for value in PROBES:
            extra = {"router_command": "true {weights}"} if key == "router" else {}
            try:
                build_config({key: value, **extra}, source=SRC, root=tmp_path)
                parser_ok = True
            except ConfigError:
                parser_ok = False
            problem = None
            try:
                check_table({"deploy": {key: value, **extra}}, SRC)
            except ConfigError as exc:
                problem = str(exc.key)
            schema_ok = problem is None
            assert schema_ok or str(problem).startswith(f"deploy.{key}"), (key, value, problem)
            if (key, repr(value)) in BEYOND_SCHEMA:
                assert (schema_ok, parser_ok) == (True, False), (key, value)
            elif schema_ok != parser_ok:
                disagreements.append(f"{key} = {value!r}: schema {schema_ok}, parser {parser_ok}")
    assert disagreements == []


@pytest.mark.parametrize(
    ("key", "value"),
    [("port", 0), ("measurements", 0), ("request_timeout", 0), ("request_timeout", "0s"),
     ("error_rate_limit", "150%"), ("smoke_paths", "a,b")],
)
def test_values_the_schema_once_accepted_and_deploy_refused(key: str, value: object) -> None:
    """The probed disagreements of issue 21: pytest (the schema) now refuses them too."""
    with pytest.raises(ConfigError) as info:
        check_table({"deploy": {key: value}}, SRC)
    assert info.value.key == f"deploy.{key}"


@pytest.mark.parametrize(
    ("table", "key", "value", "why"),
    [
        ({"tiers": {"unit": {"budget": "1 minute"}}}, "tiers.unit.budget", "1 minute",
         "expected a duration like '30s'"),
        ({"tiers": {"unit": {"budget": -5}}}, "tiers.unit.budget", -5, "expected a duration"),
        ({"tiers": {"unit": {"paths": ["tests/unit", ""]}}}, "tiers.unit.paths",
         ["tests/unit", ""], "every entry must be a non-empty string"),
        ({"coverage": {"total": float("inf")}}, "coverage.total", float("inf"), "finite"),
        ({"gates": {"budget.unit": "warn"}}, 'gates."budget.unit"', "warn",
         "budget levels are set per tier"),
        ({"gates": {"tests.pass_rate": "off"}}, 'gates."tests.pass_rate"', "off",
         "always blocks"),
        ({"gates": {"static.audit": {"command": "pip-audit"}}}, 'gates."static.audit".command',
         "pip-audit", "list of non-empty strings"),
        ({"gates": {"static.audit": {"timeout_s": 0}}}, 'gates."static.audit".timeout_s', 0,
         "a number > 0"),
        ({"thresholds": {"api.p95_ms": 500}}, 'thresholds."api.p95_ms"', 500,
         "expression string"),
        ({"quarantine": [{"test": "a", "owner": "b", "reason": "c"}]}, "quarantine[0].expires",
         None, "required"),
        ({"shape": {"targets": {}}}, "shape.targets", {}, "tier = share"),
        ({"risk": {"size": [{"min_lines": 10}]}}, "risk.size[0].weight", None, "required"),
        ({"approvals": {"low": {"approvals": 1, "roles": ["x"], "who": 1}}},
         "approvals.low.who", 1, "unknown key; known: approvals, roles"),
        ({"deploy": {"approvers": {"al": {"key": "a.pub", "roles": ["r"], "role": "x"}}}},
         "deploy.approvers.al.role", "x", "unknown key; known: key, keys, roles"),
        ({"deploy": {"require_signature": "sure"}}, "deploy.require_signature", "sure",
         "true or false"),
        ({"deploy": {"allow_dirty": True}}, "deploy.allow_dirty", True, "no longer supported"),
        ({"flakes": {}}, "flakes", {}, "unknown key; known: default_tier"),
        ({"flaky": {"windw": 3}}, "flaky.windw", 3, "unknown key; known: window, branch"),
        ({"flaky": {"max_share": 0}}, "flaky.max_share", 0, ""),
        ({"quarantine": [{"test": "t", "owner": "o", "expires": "2027-01-01", "reason": "r",
                          "evidence": "run-1"}]}, "quarantine[0].evidence", "run-1", ""),
    ],
)
def test_schema_errors_name_the_key_the_value_and_the_file(
    table: dict[str, Any], key: str, value: object, why: str
) -> None:
    with pytest.raises(ConfigError) as info:
        check_table(table, SRC)
    assert (info.value.key, info.value.source) == (key, SRC)
    assert info.value.value == value or value != value  # nan/inf compare unequal to themselves
    assert why in info.value.why
    assert str(info.value).startswith(f"{SRC}: [tool.pyramid] {key} = {value!r}: ")


def test_the_shallowest_problem_is_reported_first() -> None:
    with pytest.raises(ConfigError) as info:
        check_table({"tiers": {"unit": {"budget": "x"}}, "typo": 1}, SRC)
    assert info.value.key == "typo"


def test_a_standalone_file_names_keys_without_the_tool_table() -> None:
    with pytest.raises(ConfigError) as info:
        check_table({"strict": "yes"}, "/p/pyramid.toml")
    assert str(info.value) == "/p/pyramid.toml: strict = 'yes': expected true or false"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("tiers", "unit", "budget"), "tiers.unit.budget"),
        (("gates", "static.audit", "ignore"), 'gates."static.audit".ignore'),
        (("quarantine", 0, "test"), "quarantine[0].test"),
        (("thresholds", "page.load_ms{page:home}"), 'thresholds."page.load_ms{page:home}"'),
    ],
)
def test_key_text(path: tuple[str | int, ...], text: str) -> None:
    assert key_text(path) == text


@pytest.mark.parametrize(
    ("schema", "text"),
    [
        ({"type": "integer", "minimum": 1}, "must be a whole number >= 1"),
        ({"type": "number", "minimum": 0, "maximum": 100}, "must be a number between 0 and 100"),
        ({"type": "number", "exclusiveMinimum": 0}, "must be a number > 0"),
        ({"type": "boolean"}, "expected true or false"),
        ({"type": "string", "enum": ["a", "b"]}, "must be one of a, b"),
        ({"type": "array", "items": {"type": "string", "pattern": r"\S"}},
         "must be a list of non-empty strings"),
        ({"type": "object"}, "must be a table"),
        ({"$ref": "#/definitions/level"}, "must be one of block, approve, warn, off"),
    ],
)
def test_describe(schema: dict[str, Any], text: str) -> None:
    assert describe(schema, load_schema()) == text


# -- the real validate-pyproject, through the entry point this package registers ---------------

VALIDATE = shutil.which("validate-pyproject", path=str(Path(sys.executable).parent))


def run_validate(project: Path) -> subprocess.CompletedProcess[str]:
    assert VALIDATE is not None
    return subprocess.run(
        [VALIDATE, str(project / "pyproject.toml")],
        capture_output=True, text=True, timeout=120, check=False,
    )


def pyproject_with(table: str) -> str:
    header = '[project]\nname = "shop"\nversion = "1.0"\n'
    # every sub-table of the example, as it would sit under [tool.pyramid]
    body = table.replace("\n[", "\n[tool.pyramid.").replace("[tool.pyramid.[", "[[tool.pyramid.")
    return f"{header}\n[tool.pyramid]\n{body}"


@pytest.mark.skipif(VALIDATE is None, reason="validate-pyproject is in the dev extra")
def test_validate_pyproject_checks_the_pyramid_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject_with(FULL))
    assert tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["pyramid"] == (
        full_table()
    )
    ok = run_validate(tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = FULL.replace('budget = "30s"', 'budget = "half a minute"')
    (tmp_path / "pyproject.toml").write_text(pyproject_with(bad))
    refused = run_validate(tmp_path)
    assert refused.returncode != 0
    assert "tool.pyramid.tiers.unit.budget" in refused.stdout + refused.stderr
    typo = FULL.replace("[static]", "[statik]")
    (tmp_path / "pyproject.toml").write_text(pyproject_with(typo))
    refused = run_validate(tmp_path)
    assert refused.returncode != 0
    assert "statik" in refused.stdout + refused.stderr
