"""Hostile case 371: the limits a rollout is judged by are not the commit's to loosen.

The commit under judgement may tighten them for itself; a loosening counts from the next
rollout, once that commit was deployed here (the anchors record's or the history's latest
success: deploy/trust_record.py ``limits_commit``). Every command builds its configuration in
one function (deploy/cli.py ``_built``), so the deploy and the supervisor that runs its job
judge by the same limits. In-process, real git; nothing starts a router."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import build_parser
from pytest_pyramid.deploy import cli as deploy_cli
from pytest_pyramid.deploy import trust_record
from pytest_pyramid.deploy.trust_record import AnchorSet

if TYPE_CHECKING:
    from pytest_pyramid.deploy.config import DeployConfig
    from tests.support.deploy.helpers import Project


def _succeeded(repo: Project, commit: str, ident: int) -> None:
    """The anchors record says deployment ``ident`` of ``commit`` succeeded here."""
    trust_record.append(repo.work_dir, at="2026-12-07T11:00:00Z", commit=commit,
                        deployment_id=ident, event=f"deployment #{ident} succeeded",
                        anchors=AnchorSet())


def _deploying(commit: str, argv: tuple[str, ...] = ()) -> tuple[DeployConfig, list[str]]:
    said: list[str] = []
    config, _ = deploy_cli._built(build_parser().parse_args(["deploy", *argv]),
                                  lambda _: (commit, "the deploy"), say=said.append)
    return config, said


@pytest.fixture
def serving(repo: Project, monkeypatch: pytest.MonkeyPatch) -> str:
    """Commit A (error rate at most 1%, p95 at most 500ms) deployed here."""
    monkeypatch.chdir(repo.root)
    repo.write_config(error_rate_limit="1%", p95_limit="500ms")
    sha = repo.commit("A")
    _succeeded(repo, sha, 1)
    return sha


def test_a_commit_loosening_its_limits_is_judged_by_the_serving_release_s(
        repo: Project, serving: str) -> None:
    repo.write_config(error_rate_limit="100%", p95_limit="200ms")
    loose = repo.commit("B loosens its error rate, tightens its p95")
    config, said = _deploying(loose)
    assert config.error_rate_limit == 0.01
    assert config.p95_limit == 0.2  # a tightening is taken at once
    assert len(said) == 1
    assert said[0].startswith("[limits] error_rate_limit: kept 0.01, not this commit's 1.0")
    assert serving[:12] in said[0]


def test_a_loosening_counts_from_the_next_rollout_once_deployed(
        repo: Project, serving: str) -> None:
    repo.write_config(error_rate_limit="5%")
    loose = repo.commit("B")
    assert _deploying(loose)[0].error_rate_limit == 0.01
    _succeeded(repo, loose, 2)  # B deployed under A's limit
    for commit in (loose, repo.commit("C, the same table")):  # B's redeploy, then C
        config, said = _deploying(commit)
        assert config.error_rate_limit == 0.05
        assert said == []


def test_the_command_line_still_only_tightens(repo: Project, serving: str) -> None:
    repo.write_config(error_rate_limit="100%")
    loose = repo.commit("B")
    config, said = _deploying(loose, ("--error-rate-limit", "0.5%"))
    assert config.error_rate_limit == 0.005
    assert said == []


def test_a_first_deployment_is_judged_by_its_own_table(
        repo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo.root)
    repo.write_config(error_rate_limit="5%")
    config, said = _deploying(repo.commit("A, nothing deployed here yet"))
    assert config.error_rate_limit == 0.05
    assert said == []


def test_the_gates_own_limits_are_anchored_too(repo: Project, serving: str) -> None:
    """A commit raising ``max_age`` would pass its own stale verdict, raising ``approval_ttl``
    its own old approvals: kept at the serving release's (the default 24h here), said so."""
    repo.write_config(max_age="9000h", approval_ttl="9000h")
    loose = repo.commit("B accepts any old verdict and approval")
    config, said = _deploying(loose)
    assert (config.max_age, config.approval_ttl) == (86400.0, 86400.0)
    assert sorted(line.split(":")[0] for line in said) == ["[limits] approval_ttl",
                                                           "[limits] max_age"]


def test_what_the_rollout_is_judged_through_is_the_serving_release_s(
        repo: Project, serving: str) -> None:
    """A commit switching to the command router with a log it ships (full of 200s), and
    dropping the verify tier, is judged through the serving release's nginx and tier."""
    repo.write_config(verify={"tier": "smoke"})
    checked = repo.commit("B verifies its smoke tier")
    _succeeded(repo, checked, 2)
    (repo.root / "all-good.log").write_text("200\n" * 100)
    repo.write_config(router="command", router_command="true", access_log="all-good.log",
                      verify=None, migrations_check_tier="nothing")
    config, said = _deploying(repo.commit("C judges itself from its own log"))
    assert (config.router, config.router_command, config.access_log) == ("nginx", "", None)
    assert config.verify is not None
    assert config.verify.tier == "smoke"
    assert config.migrations_check_tier == "integration"
    assert sorted(line.split(":")[0] for line in said) == [
        "[limits] access_log", "[limits] migrations_check_tier", "[limits] router",
        "[limits] router_command", "[limits] verify"]
    assert all(checked[:12] in line for line in said)


def test_the_router_s_include_is_the_serving_release_s_by_content(
        repo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The include configures the router the rollout is judged through: a commit changing
    it (same file name) is judged with the serving release's content, a later one with it."""
    monkeypatch.chdir(repo.root)
    include = repo.root / "router.conf"
    include.write_text("add_header X-Served pyramid;\n")
    repo.write_config(nginx_include="router.conf")
    first = repo.commit("A ships a router include")
    _succeeded(repo, first, 1)
    include.write_text("location / { return 200 'ok'; }\n")
    changed = repo.commit("B answers every user from the router")
    config, said = _deploying(changed)
    assert config.nginx_include is not None
    assert config.nginx_include.read_text() == "add_header X-Served pyramid;\n"
    assert [line.split(":")[0] for line in said] == ["[limits] nginx_include"]
    _succeeded(repo, changed, 2)  # B deployed under A's include: its own counts from now
    config, said = _deploying(changed)
    assert config.nginx_include is not None
    assert config.nginx_include.read_text() == "location / { return 200 'ok'; }\n"
    assert said == []
