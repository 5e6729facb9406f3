"""The gate, approvals, config errors, dry run and history through the real CLI (no nginx)."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from pytest_pyramid._files import write_json_atomic
from tests.deploy.helpers import Project, make_verdict

RISK = {"level": "high", "score": 7.0, "factors": [{"id": "migration", "weight": 3.0}],
        "required_approvals": 2, "approver_roles": ["lead", "sre"]}


def outcomes(project: Project) -> list[tuple[str, str]]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        return list(db.execute("SELECT outcome, reason FROM deployments ORDER BY id"))


@pytest.mark.parametrize(
    ("verdict_kwargs", "expected"),
    [
        ({"decision": "blocked"}, "the verdict decision is blocked"),
        ({"decision": "incomplete"}, "the verdict decision is incomplete"),
        ({"age": timedelta(hours=30)}, "older than the 24h00m allowed"),
        ({"dirty": True}, "changes not in its commit"),
    ],
)
def test_refusals_are_printed_and_recorded(
    repo: Project, verdict_kwargs: dict[str, object], expected: str
) -> None:
    repo.commit("v1", **verdict_kwargs)
    result = repo.run("deploy")
    assert result.returncode == 1
    assert expected in result.stdout
    assert [o for o, _ in outcomes(repo)] == ["refused"]
    assert expected in outcomes(repo)[0][1]
    assert not (repo.work_dir / "state.json").exists()


def test_verdict_for_another_commit_is_refused(repo: Project) -> None:
    first = repo.commit("v1")
    repo.commit("v2")
    write_json_atomic(repo.root / "verdict.json", make_verdict(first, repo=repo.root))
    result = repo.run("deploy")
    assert result.returncode == 1
    assert f"the verdict is for commit {first[:12]}" in result.stdout


def test_schema_invalid_or_missing_verdict_is_refused(repo: Project) -> None:
    repo.commit("v1")
    (repo.root / "verdict.json").write_text(json.dumps({"decision": "ready"}))
    result = repo.run("deploy")
    assert result.returncode == 1
    assert "does not match the verdict schema" in result.stdout
    result = repo.run("deploy", "--verdict", "nowhere.json")
    assert result.returncode == 1
    assert "cannot read the verdict" in result.stdout
    assert [o for o, _ in outcomes(repo)] == ["refused", "refused"]


def test_needs_approval_then_two_distinct_people(repo: Project) -> None:
    repo.commit("v1", decision="needs_approval", risk=RISK)
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 2
    assert "needs 2 approval(s) from lead, sre" in result.stdout
    assert repo.run("approve", "--by", "alice", "--role", "lead").returncode == 0
    again = repo.run("approve", "--by", "Alice", "--role", "sre")
    assert "counts once" in again.stdout
    assert "approvals: 1/2" in again.stdout
    assert repo.run("deploy", "--dry-run").returncode == 2
    wrong = repo.run("approve", "--by", "carol", "--role", "intern")
    assert wrong.returncode == 3
    assert "approver_roles: lead, sre" in wrong.stderr
    assert repo.run("approve", "--by", "bob", "--role", "sre").returncode == 0
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 0, result.stdout
    assert "approved by alice (lead), bob (sre)" in result.stdout


def test_approvals_expire(repo: Project) -> None:
    repo.commit("v1", decision="needs_approval", risk={**RISK, "required_approvals": 1})
    assert repo.run("approve", "--by", "alice", "--role", "lead").returncode == 0
    repo.write_config(approval_ttl="1ms")
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 2
    assert "expired" in result.stdout


@pytest.mark.parametrize(
    ("setting", "value", "flag"),
    [("steps", [5, 50], None), ("error_rate_limit", "lots", None), ("p95_limit", "quick", None),
     ("port", 8080, ("--steps", "50,25,100"))],
)
def test_bad_config_exits_3_naming_key_value_file(
    repo: Project, setting: str, value: object, flag: tuple[str, str] | None
) -> None:
    repo.commit("v1")
    repo.write_config(**{setting: value})
    result = repo.run("deploy", "--dry-run", *(flag or ()))
    assert result.returncode == 3
    if flag:
        assert "command line: [tool.pyramid] --steps = '50,25,100'" in result.stderr
    else:
        assert f"{repo.root / 'pyproject.toml'}: [tool.pyramid] deploy.{setting} = " \
               f"{value!r}" in result.stderr


def test_dry_run_plans_and_validates_configs_without_starting_anything(repo: Project) -> None:
    repo.commit("v1")
    result = repo.run("deploy", "--dry-run", "--steps", "10,40,100")
    assert result.returncode == 0, result.stdout
    assert "no stable version" in result.stdout
    assert result.stdout.count("nginx -t: ok") == 1
    assert "127.0.0.1:<new port>=100%" in result.stdout
    pid_file = repo.work_dir / "router" / "nginx.pid"
    assert not pid_file.exists() or not pid_file.read_text().strip()  # `nginx -t` touches it
    assert not (repo.work_dir / "state.json").exists()
    history = repo.run("history")
    assert "canary (dry)" in history.stdout


def test_stats_and_history_with_no_rollouts(repo: Project) -> None:
    result = repo.run("stats")
    assert result.returncode == 0
    assert "deployment success rate: n/a" in result.stdout
    assert repo.run("abort").returncode == 3  # nothing in progress


def test_allow_dirty_flag_overrides_the_dirty_refusal(repo: Project) -> None:
    repo.commit("v1", dirty=True)
    assert repo.run("deploy", "--dry-run").returncode == 1
    result = repo.run("deploy", "--dry-run", "--allow-dirty")
    assert result.returncode == 0, result.stdout
    assert "WARNING: the verdict was produced from a dirty working tree" in result.stdout
