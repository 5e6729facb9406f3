"""The deploy commands' arguments may only tighten the tracked configuration (hostile case
167), and every option of every deploy command is classified (deploy/arguments.py)."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.arguments import (
    ANCHORED_LIMITS,
    ANCHORED_SETTINGS,
    DIRECTIONS,
    OTHER_OPTIONS,
    RULES,
    SAFETY,
    Loosened,
    anchored,
    anchored_metrics,
    anchored_settings,
    judged_history,
    tightened,
)
from pytest_pyramid.deploy.cli import add_commands
from pytest_pyramid.deploy.config import KEYS
from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


def _deploy_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    add_commands(commands)
    return dict(commands.choices)


def test_every_option_of_every_deploy_command_is_classified() -> None:
    """A new argument (a key's flag or any other option) fails here until the table says
    which way is stricter, or why it cannot loosen anything."""
    unclassified = sorted(
        f"pyramid {name} {'/'.join(action.option_strings)} (dest {action.dest})"
        for name, sub in _deploy_parsers().items() for action in sub._actions
        if action.dest not in RULES and action.dest not in OTHER_OPTIONS)
    assert unclassified == []
    flags = {key for key, spec in KEYS.items() if spec.flag}
    assert set(RULES) == flags, "a row for every key with a flag, and none for another"
    assert not set(OTHER_OPTIONS) & set(KEYS), "a key's flag is judged by its rule"


def test_every_rule_is_well_formed() -> None:
    for key, rule in RULES.items():
        assert rule.stricter in DIRECTIONS, key
        assert rule.why.strip(), key
        if rule.stricter == "ranked":  # every choice the key accepts has its rank
            assert set(KEYS[key].kind.schema["enum"]) == set(rule.ranks), key
        else:
            assert not rule.ranks, key


DEPLOY = {"command": "serve {port}", "max_age": "24h", "p95_limit": "200ms",
          "error_rate_limit": 0.001, "strategy": "canary", "health_path": "/healthz",
          "watch": "rollback", "migrations": "db", "steps": [5, 25, 50, 100], "port": 8080,
          "environments": {"staging": {"port": 8081},
                           "production": {"port": 8082, "max_age": "1h"}}}


def _tightened(tmp_path: Path, env: str | None = None, **flags: str) -> Any:
    return tightened(str(tmp_path / "pyproject.toml"), {"deploy": DEPLOY}, flags, env=env,
                     require_env=False)


@pytest.mark.parametrize(("flags", "env"), [
    ({}, None),
    ({"max_age": "1h"}, None),                      # smaller is stricter
    ({"max_age": "24h"}, None),                     # the tracked value itself
    ({"error_rate_limit": "0.05%"}, None),
    ({"p95_limit": "150ms"}, None),
    ({"min_requests": "50"}, None),                 # default 20: larger is stricter
    ({"measurements": "5"}, None),
    ({"bake": "5m"}, None),
    ({"judge_alpha": "0.05"}, None),                # a larger level rolls back more readily
    ({"steps": "1,5,25,50,100"}, None),             # every tracked step kept
    ({"watch": "rollback"}, None),
    ({"strategy": "canary", "health_path": "/healthz"}, None),
    ({"migrations": "demo_releases/next"}, None),   # inside the release: judged as it is
    ({"require_signature": "true"}, None),
    ({"port": "9999", "work_dir": "/tmp/elsewhere"}, None),
    ({"command": "serve {port}"}, None),              # the tracked start itself
    ({"max_age": "30m"}, "production"),             # the environment's own 1h
])
def test_a_value_that_tightens_or_repeats_the_tracked_one_is_taken(
        tmp_path: Path, flags: dict[str, str], env: str | None) -> None:
    config = _tightened(tmp_path, env, **flags)
    for key, raw in flags.items():
        assert getattr(config, key) == KEYS[key].parse_flag(raw) or key in ("work_dir",), key


@pytest.mark.parametrize(("flags", "env", "tracked"), [
    ({"max_age": "24000h"}, None, "'24h' in {file} [tool.pyramid.deploy]"),
    ({"max_age": "2h"}, "production",
     "'1h' in {file} [tool.pyramid.deploy.environments.production]"),
    ({"error_rate_limit": "0.9"}, None, "0.001 in {file} [tool.pyramid.deploy]"),
    ({"p95_limit": "60s"}, None, "'200ms' in"),
    ({"approval_ttl": "48h"}, None, "the default '24h': {file} sets none"),
    ({"min_requests": "5"}, None, "the default 20"),
    ({"failure_limit": "1"}, None, "the default 0"),
    ({"interval": "1s"}, None, "the default '10s'"),
    ({"bake": "0s"}, None, "the default '1m'"),
    ({"judge_alpha": "0.001"}, None, "the default 0.01"),
    ({"judge_looks": "20"}, None, "the default 10"),
    ({"steps": "50,100"}, None, "[5, 25, 50, 100] in"),
    ({"steps": "10,40,100"}, None, "[5, 25, 50, 100] in"),
    ({"strategy": "blue-green"}, None, "'canary' in"),
    ({"health_path": "/static/ok"}, None, "'/healthz' in"),
    ({"watch": "off"}, None, "'rollback' in"),
    ({"request_timeout": "400s"}, None, "the default '10s'"),
    ({"health_timeout": "60s"}, None, "the default '15s'"),
    ({"inconclusive_limit": "1000"}, None, "the default 3"),
    ({"smoke_paths": "/static/ok"}, None, "the default []"),  # none: the health path
])
def test_a_value_that_loosens_the_tracked_one_is_refused_naming_both(
        tmp_path: Path, flags: dict[str, str], env: str | None, tracked: str) -> None:
    with pytest.raises(Loosened) as refused:
        _tightened(tmp_path, env, **flags)
    message = str(refused.value)
    (key, raw), = flags.items()
    assert message.startswith(f"--{key.replace('_', '-')} {raw} loosens {key} = ")
    assert tracked.format(file=tmp_path / "pyproject.toml") in message
    assert message.endswith("change it there")
    assert "\n" not in message


def test_without_a_configuration_file_the_defaults_are_the_tracked_values(
        tmp_path: Path) -> None:
    with pytest.raises(Loosened, match="the default '24h': <defaults> sets none"):
        tightened("<defaults>", {}, {"max_age": "48h"}, env=None)
    assert tightened("<defaults>", {}, {"max_age": "1h"}, env=None).max_age == 3600.0


def test_a_router_the_tracked_table_needs_is_the_tracked_one(tmp_path: Path) -> None:
    """router = "command" needs a router_command, tracked with it: the caller's flag cannot
    give what applies the weights (hostile case 227)."""
    table = {"deploy": {"router": "command", "access_log": "log"}}
    source = str(tmp_path / "pyproject.toml")
    for flags in ({}, {"router_command": "route {weights}"}):
        with pytest.raises(ConfigError, match="router_command"):
            tightened(source, table, flags, env=None)
    tracked = {"deploy": {**table["deploy"], "router_command": "route {weights}"}}
    config = tightened(source, tracked, {"router_command": "route {weights}"}, env=None)
    assert config.router_command == "route {weights}"
    with pytest.raises(Loosened, match=re.escape("--router-command true loosens")):
        tightened(source, tracked, {"router_command": "true"}, env=None)


@pytest.mark.parametrize(("flag", "given"), [
    # hostile case 227: the weights and the log the rollout is judged by are the tracked ones
    ("router", "command"), ("router_command", "true"), ("access_log", "/tmp/fake.log"),
    ("nginx_include", "/tmp/evil.conf"),
    # hostile case 220: a program the deploy runs as its account is the tracked one
    ("nginx", "/opt/evil/nginx"),
    ("command", "python -m http.server {port} --directory /tmp/evil"),
])
def test_what_judges_or_runs_the_rollout_is_never_the_caller_s(
        tmp_path: Path, flag: str, given: str) -> None:
    source = str(tmp_path / "pyproject.toml")
    table = {"deploy": {"nginx": "/usr/sbin/nginx", "router_command": "route {weights}",
                        "access_log": "log", "command": "serve {port}"}}
    with pytest.raises(Loosened, match=re.escape(f"--{flag.replace('_', '-')} {given} loosens")):
        tightened(source, table, {flag: given}, env=None)


def test_a_start_command_is_only_ever_the_commit_s(tmp_path: Path) -> None:
    """Hostile case 220 (a): with no tracked start the caller's cannot fill the gap either."""
    source = str(tmp_path / "pyproject.toml")
    with pytest.raises(Loosened, match=re.escape("--command serve {port} loosens command = "
                                                 f"the default '': {source} sets none")):
        tightened(source, {}, {"command": "serve {port}"}, env=None)
    tracked = {"deploy": {"command": "serve {port}"}}
    assert tightened(source, tracked, {"command": "serve {port}"}, env=None).command == (
        "serve {port}")


@pytest.mark.parametrize(("table", "flags", "refused"), [
    ({}, {}, False),
    ({}, {"history": ".pyramid/deploy/history.sqlite"}, False),  # the target's own, spelled out
    ({}, {"work_dir": "elsewhere"}, False),  # a fresh work folder keeps its history there
    ({}, {"work_dir": "elsewhere", "history": "elsewhere/history.sqlite"}, False),
    ({"history": "var/h.sqlite"}, {"history": "var/h.sqlite"}, False),  # the tracked one
    # hostile cases 277, 278: another file forgot a rollback / advanced the anchors record
    ({}, {"history": "fresh.sqlite"}, True),
    ({}, {"work_dir": "elsewhere", "history": "fresh.sqlite"}, True),
    ({"history": "var/h.sqlite"}, {"history": ".pyramid/deploy/history.sqlite"}, True),
])
def test_a_command_that_judges_reads_only_its_target_s_own_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: dict[str, str],
        flags: dict[str, str], refused: bool) -> None:
    monkeypatch.chdir(tmp_path)
    source = str(tmp_path / "pyproject.toml")
    pyramid = {"deploy": table}
    given = tightened(source, pyramid, flags, env=None)  # free for reading (history, stats)
    if refused:
        with pytest.raises(Loosened, match="is not this target's history"):
            judged_history(source, pyramid, flags, env=None, given=given)
    else:
        judged_history(source, pyramid, flags, env=None, given=given)


@pytest.mark.parametrize("folder", ["/etc/sql", "../outside", "db/../../x", "..", "~/sql",
                                    "C:/sql", "db\\..\\..\\x"])
def test_migrations_must_stay_inside_the_release(tmp_path: Path, folder: str) -> None:
    with pytest.raises(ConfigError, match="inside the release"):
        tightened("<defaults>", {}, {"migrations": folder}, env=None)
    with pytest.raises(ConfigError, match=r"deploy\.migrations = .*inside the release"):
        tightened(str(tmp_path / "pyproject.toml"), {"deploy": {"migrations": folder}}, {},
                  env=None)


@pytest.mark.parametrize(("name", "taken"), [
    ("20260101T000000Z-before-0003_drop.dump", True),
    ("../backups/x.dump", False),
    ("/var/lib/x.dump", False),
    ("..", False),
    (".", False),
    ("sub\\x.dump", False),
    ("", False),
])
def test_a_backup_is_named_by_its_file_name_only(name: str, taken: bool) -> None:
    parser = _deploy_parsers()["rollback"]
    if taken:
        assert parser.parse_args(["--restore-backup", name]).restore_backup == name
        return
    with pytest.raises(SystemExit):
        parser.parse_args(["--restore-backup", name])


def test_the_canary_demos_slow_tail_flags_only_tighten_its_tracked_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`./dev canary` step 3b (not run by CI) deploys with these flags against
    suites/pyproject.toml: a flag that loosens it (its old --steps 25,50,100) fails here."""
    import importlib.util
    import sys
    from pathlib import Path

    from pytest_pyramid.deploy.cli import _overrides
    from pytest_pyramid.project import load

    suites = Path(__file__).resolve().parents[3] / "suites"
    spec = importlib.util.spec_from_file_location("canary_demo", suites / "canary_demo.py")
    assert spec is not None
    assert spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "canary_demo", demo)  # its dataclasses look it up there
    spec.loader.exec_module(demo)
    project = load(config=suites / "pyproject.toml")  # as `pyramid deploy` reads it
    args = _deploy_parsers()["deploy"].parse_args(
        ["--port", "18080", "--redeploy", *demo.SLOW_TAIL_FLAGS])
    config = tightened(project.source, project.table, _overrides(args), env=None)
    assert config.judge == "nonparametric"
    assert config.steps == (5, 25, 50, 100)  # the tracked steps, the 5% one included
    assert config.inconclusive_limit == 40  # the looks at 5% wait for data (docs/deploy.md)


_SERVING = {"error_rate_limit": "1%", "p95_limit": "500ms", "min_requests": 20,
            "steps": [5, 25, 50, 100], "watch": "rollback", "judge": "nonparametric",
            "bake": "1m", "compare_with_stable": True, "judge_looks": 100}


@pytest.mark.parametrize(("commit_table", "kept"), [
    ({}, {}),                                                   # the same limits
    ({"error_rate_limit": "0.5%", "min_requests": 50}, {}),     # tightened: taken
    ({"steps": [5, 10, 25, 50, 100]}, {}),                      # a step added: taken
    ({"error_rate_limit": "100%"}, {"error_rate_limit": 0.01}),  # hostile case 371
    ({"p95_limit": "60s", "min_requests": 1}, {"p95_limit": 0.5, "min_requests": 20}),
    ({"steps": [10, 100]}, {"steps": (5, 10, 25, 50, 100)}),    # dropped steps come back
    ({"watch": "off", "judge": "threshold"}, {"watch": "rollback", "judge": "nonparametric"}),
    ({"bake": "0s", "compare_with_stable": False},
     {"bake": 60.0, "compare_with_stable": True}),
    # every user at once instead of a few first: the serving release's canary kept
    ({"strategy": "blue-green", "judge": "threshold"},
     {"strategy": "canary", "judge": "nonparametric"}),
    # more looks give each less alpha (a mute judge); fewer are taken
    ({"judge_looks": 100000}, {"judge_looks": 100}),
    ({"judge_looks": 20}, {}),
])
def test_a_commit_may_tighten_the_limits_it_is_judged_by_never_loosen_them(
        tmp_path: Path, commit_table: dict[str, object], kept: dict[str, object]) -> None:
    from pytest_pyramid.deploy.config import project_config

    source = str(tmp_path / "pyproject.toml")
    serving = project_config(source, {"deploy": _SERVING})
    given = project_config(source, {"deploy": {**_SERVING, **commit_table}})
    found, said = anchored(serving, given, "c0ffee" * 7)
    assert found == kept
    assert sorted(line.split(":")[0] for line in said) == sorted(kept)
    assert all("c0ffeec0ffee, the last release deployed here" in line for line in said)


def test_every_anchored_limit_has_an_order() -> None:
    """A key anchored with no stricter direction could never be tightened by a commit."""
    assert {RULES[key].stricter for key in ANCHORED_LIMITS} <= {"smaller", "larger",
                                                                 "superset", "ranked"}


def test_every_deploy_key_is_classified_by_how_a_commit_is_kept_from_loosening_it() -> None:
    """Walks the deploy schema (what a tracked table may set): a new key the table does not
    classify fails here, so it cannot open a hole unseen; and the ``anchored`` class is exactly
    the limits kept at the last release's value."""
    from pytest_pyramid.deploy.anchors import HOST_KEYS
    from pytest_pyramid.deploy.config import REMOVED
    from pytest_pyramid.deploy.schema import deploy_schema

    keys = set(deploy_schema()["properties"]) - set(REMOVED) - {"environments"}
    assert keys == set(SAFETY)
    assert {key for key, (kind, _) in SAFETY.items() if kind == "anchored"} == {
        *ANCHORED_LIMITS, *ANCHORED_SETTINGS}
    assert set(HOST_KEYS) <= {key for key, (kind, _) in SAFETY.items() if kind == "anchors"}
    assert {kind for kind, _ in SAFETY.values()} == {"anchored", "anchors", "host", "commit"}
    assert all(why for _, why in SAFETY.values())


@pytest.mark.parametrize(("commit_table", "kept"), [
    ({"max_age": "1h"}, {}),                                   # tightened: taken
    ({"max_age": "9000h"}, {"max_age": 86400.0}),              # its own stale verdict: kept
    ({"approval_ttl": "9000h"}, {"approval_ttl": 7200.0}),     # its own old approvals: kept
])
def test_the_gates_limits_are_anchored_like_the_rollouts(
        tmp_path: Path, commit_table: dict[str, object], kept: dict[str, object]) -> None:
    from pytest_pyramid.deploy.config import project_config

    source = str(tmp_path / "pyproject.toml")
    serving = {"max_age": "24h", "approval_ttl": "2h"}
    found, said = anchored(project_config(source, {"deploy": serving}),
                           project_config(source, {"deploy": {**serving, **commit_table}}),
                           "c0ffee" * 7)
    assert found == kept
    assert [line.split(":")[0] for line in said] == list(kept)
_CONVERSION = {"source": "file", "path": "conv-{version}.json", "threshold": ">= 0.02",
               "rollout": True}


@pytest.mark.parametrize(("commit_metrics", "kept"), [
    ({"conversion": _CONVERSION}, set()),                             # unchanged: nothing kept
    ({}, {"conversion"}),                                             # hostile case 423: dropped
    ({"conversion": {**_CONVERSION, "threshold": ">= 0.0"}}, {"conversion"}),  # loosened
    ({"conversion": {**_CONVERSION, "rollout": False}}, {"conversion"}),       # unmarked
    ({"conversion": _CONVERSION, "latency": {**_CONVERSION, "path": "l-{version}.json"}},
     set()),                                                          # one added: judged too
])
def test_a_commit_cannot_drop_or_change_the_rollout_metrics_it_is_judged_by(
        tmp_path: Path, commit_metrics: dict[str, object], kept: set[str]) -> None:
    from pytest_pyramid.deploy.config import project_config

    source = str(tmp_path / "pyproject.toml")
    serving = project_config(source, {"deploy": _SERVING, "metrics": {"conversion": _CONVERSION}})
    given = project_config(source, {"deploy": _SERVING, "metrics": commit_metrics})
    found, said = anchored_metrics(serving, given, "c0ffee" * 7)
    assert {line.split(":")[0] for line in said} == {f"metrics.{name}" for name in kept}
    judged = dict(given.metrics) if found is None else found
    assert judged.get("conversion") == _CONVERSION
    assert set(judged) >= set(given.metrics)


def test_a_blue_green_release_may_move_to_canary_at_once(tmp_path: Path) -> None:
    from pytest_pyramid.deploy.config import project_config

    source = str(tmp_path / "pyproject.toml")
    found, said = anchored(project_config(source, {"deploy": {"strategy": "blue-green"}}),
                           project_config(source, {"deploy": {"strategy": "canary"}}),
                           "c0ffee" * 7)
    assert (found, said) == ({}, [])


_COMMAND = {"router": "command", "router_command": "route {weights}", "access_log": "proxy.log"}
_VERIFY = {"tier": "smoke", "when": ["pre-traffic", "each-step"]}


@pytest.mark.parametrize(("serving", "commit", "kept"), [
    ({}, {}, {}),
    (_COMMAND, _COMMAND, {}),
    # the commit's own program and a log it names judged it: the serving router kept
    ({}, _COMMAND, {"router": "nginx", "router_command": "", "access_log": None}),
    (_COMMAND, {**_COMMAND, "access_log": "mine.log"}, {"access_log": "proxy.log"}),
    (_COMMAND, {**_COMMAND, "router_command": "true"}, {"router_command": "route {weights}"}),
    ({}, {"router_command": "true"}, {}),      # nginx runs no router_command: nothing judged
    # which tests check the release: a dropped tier or phase comes back, added ones run too
    ({"verify": _VERIFY}, {}, {"verify": ("smoke", ("pre-traffic", "each-step"))}),
    ({"verify": _VERIFY}, {"verify": {"tier": "smoke"}},
     {"verify": ("smoke", ("pre-traffic", "each-step"))}),
    ({"verify": _VERIFY}, {"verify": {"tier": "empty", "when": ["post-promotion"]}},
     {"verify": ("smoke,empty", ("pre-traffic", "each-step", "post-promotion"))}),
    ({"verify": _VERIFY}, {"verify": {**_VERIFY, "timeout": "10m"}}, {}),  # only waits
    ({"verify": _VERIFY}, {"verify": {**_VERIFY, "project": "other"}},
     {"verify": ("smoke", ("pre-traffic", "each-step"))}),
    ({}, {"verify": _VERIFY}, {}),             # a check added: taken
    # the serving release's tests check the migrations: its own tier, not the commit's word
    ({}, {"migrations_check_tier": "nothing"}, {"migrations_check_tier": "integration"}),
    ({"migrations_check_tier": "schema"}, {}, {"migrations_check_tier": "schema"}),
])
def test_what_a_rollout_is_judged_through_is_the_serving_release_s(
        tmp_path: Path, serving: dict[str, object], commit: dict[str, object],
        kept: dict[str, object]) -> None:
    """Hostile review of the commit-class keys (anchor16): a commit's router, its log, its
    verify tiers and the migrations' check tier count from the next rollout."""
    from pytest_pyramid.deploy.config import project_config

    source = str(tmp_path / "pyproject.toml")
    base = project_config(source, {"deploy": serving})
    given = project_config(source, {"deploy": commit})
    found, said = anchored_settings(base, given, "c0ffee" * 7)
    shown = {key: ((value.tier, value.when) if key == "verify" and value is not None else
                   str(value) if key == "access_log" and value is not None else value)
             for key, value in found.items() if value != getattr(given, key)}
    expected = {key: (str(tmp_path / str(value)) if key == "access_log" and value else value)
                for key, value in kept.items()}
    assert shown == expected
    assert {line.split(":")[0] for line in said} == set(kept)
    assert all("c0ffeec0ffee, the last release deployed here" in line for line in said)
    timed = given.verify or base.verify
    if "verify" in kept and timed is not None:  # the commit's timeout: a longer one only waits
        assert found["verify"].timeout == timed.timeout
