"""Environments (deploy/environments.py): each its own keys, work folder and history; a
command names one; production refuses a commit staging has not deployed healthily (read
from staging's real history file)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.config import load_config
from pytest_pyramid.deploy.environments import staged
from pytest_pyramid.deploy.history import History, now_utc
from pytest_pyramid.errors import ConfigError
from tests.support.deploy.host import pin

if TYPE_CHECKING:
    from tests.support.deploy.helpers import Project

PROJECT = """
[tool.pyramid]
[tool.pyramid.deploy]
command = "serve --port {port}"
port = 9000

[tool.pyramid.deploy.environments.staging]
port = 9001

[tool.pyramid.deploy.environments.production]
requires = "staging"
requires_within = "2h"
"""
COMMIT = "a" * 40


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    return tmp_path


def test_each_environment_is_the_table_with_its_own_keys_on_top(layout: Path) -> None:
    staging = load_config(layout, env="staging", cwd=layout)
    production = load_config(layout, env="production", cwd=layout)
    assert (staging.port, production.port) == (9001, 9000)
    assert staging.command == production.command == "serve --port {port}"
    assert staging.work_dir == layout / ".pyramid/deploy/staging"
    assert production.work_dir == layout / ".pyramid/deploy/production"
    assert (production.environment, production.requires) == ("production", "staging")
    assert production.requires_within == 7200.0
    assert production.requires_history == staging.history_path
    assert staging.requires_history is None


def test_a_command_must_name_an_environment_once_there_are_any(layout: Path) -> None:
    with pytest.raises(ConfigError, match=r"--env.*environments \(staging, production\)"):
        load_config(layout, cwd=layout, require_env=True)
    with pytest.raises(ConfigError, match=r"--env = 'prod'.*known: staging, production"):
        load_config(layout, env="prod", cwd=layout)
    # `pyramid check` reads the base table's trust settings: no environment needed there
    assert load_config(layout, cwd=layout).port == 9000


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ('[tool.pyramid.deploy.environments.qa]\nport = 9001\n',
         r"environments\.(qa|staging)\.port = 9001.*the same as environment"),
        ('[tool.pyramid.deploy.environments.qa]\nrequires = "qa"\nport = 9005\n',
         r"environments\.qa\.requires = 'qa'.*another environment"),
        ("[tool.pyramid.deploy.environments.qa]\nportt = 1\n",
         r"deploy\.environments\.qa\.portt.*unknown key"),
    ],
)
def test_environments_that_would_collide_or_loop_are_refused(
    layout: Path, extra: str, match: str
) -> None:
    (layout / "pyproject.toml").write_text(PROJECT + extra)
    with pytest.raises(ConfigError, match=match):
        load_config(layout, env="qa", cwd=layout)


def _succeeded(history: History, commit: str) -> int:
    row = history.start(commit=commit, commit_time=None, strategy="canary", dry_run=False,
                        verdict_path="v.json")
    history.finish(row, outcome="succeeded", reason="every step passed its analysis",
                   judged=True)
    return row


def test_production_refuses_until_staging_deployed_the_commit_healthily(layout: Path) -> None:
    production = load_config(layout, env="production", cwd=layout)
    now = now_utc()
    assert "staging has no history yet" in str(staged(production, COMMIT, now))
    assert production.requires_history is not None
    production.requires_history.parent.mkdir(parents=True)
    # hostile case 337: a row another environment's deploy wrote (here: qa's, in the file
    # production reads as staging's), or one from before rows named theirs, never counts
    for written_by in ("qa", None):
        other = History(production.requires_history, environment="qa")
        row = _succeeded(other, COMMIT)
        other.close()
        if written_by is None:
            with sqlite3.connect(production.requires_history) as db:
                db.execute("UPDATE deployments SET environment = NULL WHERE id = ?", (row,))
        assert "staging never deployed it" in str(staged(production, COMMIT, now_utc()))
    history = History(production.requires_history, environment="staging")
    try:
        failed = history.start(commit=COMMIT, commit_time=None, strategy="canary",
                               dry_run=False, verdict_path="v.json")
        history.finish(failed, outcome="rolled_back", reason="error rate")
        refused = str(staged(production, COMMIT, now_utc()))
        assert f"its last staging attempt of it: #{failed} rolled_back" in refused
        good = _succeeded(history, COMMIT)
        assert staged(production, COMMIT, now_utc()) is None
        # too long ago for requires_within, or another commit: refused
        assert staged(production, COMMIT, now_utc() + timedelta(hours=3)) is not None
        assert "staging never deployed it" in str(staged(production, "b" * 40, now_utc()))
        history.mark_reverted(good, by=good + 1, at=now_utc())
        assert staged(production, COMMIT, now_utc()) is not None  # reverted: not healthy
        # hostile case 325: a judged success, then staging rolls the same commit back on a
        # redeploy: its last attempt decides, not the older success
        _succeeded(history, COMMIT)
        assert staged(production, COMMIT, now_utc()) is None
        again = history.start(commit=COMMIT, commit_time=None, strategy="canary",
                              dry_run=False, verdict_path="v.json")
        history.finish(again, outcome="rolled_back", reason="error rate 100.00%")
        assert f"its last staging attempt of it: #{again} rolled_back" in str(
            staged(production, COMMIT, now_utc()))
        # hostile case 324: a success no analysis judged is no proof
        unjudged = history.start(commit=COMMIT, commit_time=None, strategy="initial",
                                 dry_run=False, verdict_path="v.json")
        history.finish(unjudged, outcome="succeeded", reason="first step 100%: too little "
                       "traffic to judge in 1 measurement(s)")
        assert "succeeded unjudged" in str(staged(production, COMMIT, now_utc()))
    finally:
        history.close()


def test_checking_requires_leaves_stagings_database_byte_identical(layout: Path) -> None:
    """Production reads staging's history read-only: opening it as a History would replay
    staging's queued records (and create or migrate its tables) from production's check."""
    production = load_config(layout, env="production", cwd=layout)
    where = production.requires_history
    assert where is not None
    where.parent.mkdir(parents=True)
    history = History(where, environment="staging")
    good = _succeeded(history, COMMIT)
    history.close()
    queued = where.with_name(where.name + ".pending.jsonl")
    queued.write_text(json.dumps({"op": "update", "id": good, "values": {"reason": "q"}}) + "\n")
    before = where.read_bytes()
    assert staged(production, COMMIT, now_utc()) is None
    assert where.read_bytes() == before
    assert queued.exists()  # staging's own next command writes it, not production's check


def test_an_unreadable_required_history_refuses_naming_it(layout: Path) -> None:
    production = load_config(layout, env="production", cwd=layout)
    assert production.requires_history is not None
    production.requires_history.parent.mkdir(parents=True)
    production.requires_history.write_bytes(b"not a database" * 100)
    refused = str(staged(production, COMMIT, now_utc()))
    assert f"staging's history {production.requires_history} cannot be read" in refused


def test_pyramid_deploy_without_env_is_one_line_and_exit_3(layout: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest_pyramid", "deploy", "--dry-run"],
                          cwd=layout, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "name one with --env" in done.stderr
    assert "Traceback" not in done.stderr


def test_config_check_checks_every_environment(layout: Path) -> None:
    (layout / "pyproject.toml").write_text(
        PROJECT + '[tool.pyramid.deploy.environments.qa]\nport = 9001\n')
    done = subprocess.run([sys.executable, "-m", "pytest_pyramid", "config", "check"],
                          cwd=layout, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "the same as environment" in done.stderr


def _staging_and_production(project: Project) -> str:
    """Two environments of ``project``, production requiring staging; staging's URL."""
    from pytest_pyramid.deploy.processes import free_port

    project.write_config(port=None)
    staging_port = free_port()
    with (project.root / "pyproject.toml").open("a") as toml:
        toml.write(f"[tool.pyramid.deploy.environments.staging]\nport = {staging_port}\n"
                   f"[tool.pyramid.deploy.environments.production]\nport = {project.port}\n"
                   'requires = "staging"\n')
    return f"http://127.0.0.1:{staging_port}"


def test_staging_then_production_with_real_nginx(project: Project) -> None:
    """A commit goes to production only after staging served it healthily: refused first
    (nothing started), deployed to staging, then to production; each environment has its
    own router, state and history."""
    from tests.support.deploy.load import Clients

    staging_url = _staging_and_production(project)
    staging_port = int(staging_url.rsplit(":", 1)[1])
    sha = project.commit("v1")
    try:
        early = project.run("deploy", "--env", "production")
        assert early.returncode == 1, early.stdout + early.stderr
        assert "requires a healthy staging deploy" in early.stdout + early.stderr
        assert not (project.work_dir / "production" / "router").exists()  # nothing started
        for env in ("staging", "production"):
            with Clients(staging_url, rate=60):  # staging's first step judges real traffic
                done = project.run("deploy", "--env", env)
            assert done.returncode == 0, done.stdout + done.stderr
            state = json.loads((project.work_dir / env / "state.json").read_text())
            assert state["stable"]["commit"] == sha
        staging = History(project.work_dir / "staging" / "history.sqlite")
        production = History(project.work_dir / "production" / "history.sqlite")
        try:
            assert [r.outcome for r in staging.deployments()] == ["succeeded"]
            assert [r.outcome for r in production.deployments()] == ["succeeded", "refused"]
        finally:
            staging.close()
            production.close()
        # history, status and DORA figures per environment, each from its own work folder
        rows = json.loads(project.run("history", "--env", "production", "--json").stdout)
        assert [r["outcome"] for r in rows] == ["succeeded", "refused"]
        status = project.run("status", "--env", "production", "--json")
        assert status.returncode == 0, status.stdout + status.stderr
        report = json.loads(status.stdout)
        assert (report["environment"], report["stable"]["commit"]) == ("production", sha)
        assert report["router"]["url"] == f"http://127.0.0.1:{project.port}"
        figures = json.loads(project.run("stats", "--env", "production", "--json").stdout)
        assert (figures["environment"], figures["attempts"], figures["refused"],
                figures["succeeded"]) == ("production", 2, 1, 1)
        shown = project.run("stats", "--env", "staging").stdout.splitlines()
        assert shown[0] == f"environment: staging ({project.work_dir / 'staging'})"
        assert "1 deploy attempt(s): 1 deployment(s) reached users, 0 refused" in shown[1]

        # production's deploy recorded its requirement on the host: a later commit that drops
        # `requires` (no host deploy.toml here) is still refused without a healthy staging
        record = project.work_dir / "production" / "anchors.jsonl"
        assert '"requires":[{"environment":"staging"' in record.read_text()
        config = project.root / "pyproject.toml"
        config.write_text(config.read_text().replace('requires = "staging"\n', ""))
        dropped = project.commit("v2: production no longer requires staging")
        refused = project.run("deploy", "--env", "production", "--dry-run")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert f"requires a healthy staging deploy of {dropped[:12]}" in refused.stdout
        assert f"required by this host's anchors record ({record})" in refused.stdout
        # (until the host's own deploy.toml says otherwise: test_requirements_logic.py)

        # hostile case 281 with a host that pins names only: a reviewed commit swapping the
        # two ports is held to what each work folder's first deploy recorded it serves
        from tests.support.deploy.host import folder

        pin(folder(project.root), '[environments.production]\nrequires = "staging"\n')
        text = config.read_text().replace(f"port = {project.port}\n", "port = SWAPPED\n")
        config.write_text(text.replace(f"port = {staging_port}\n", f"port = {project.port}\n")
                          .replace("port = SWAPPED\n", f"port = {staging_port}\n"))
        project.commit("v3: a tidy that swaps the ports")
        for env, port, first in (("staging", project.port, staging_port),
                                 ("production", staging_port, project.port)):
            refused = project.run("deploy", "--env", env, "--dry-run")
            assert refused.returncode == 1, refused.stdout + refused.stderr
            # two rules hold it, whichever is asked first: the host's targets index (the
            # port is another folder's service, case 322) or the folder's first deploy (281)
            by_record = (f"serves environment '{env}' on port {first} (recorded at its first "
                         f"deploy, {project.work_dir / env / 'anchors.jsonl'}); this deploy "
                         f"names '{env}' on port {port}")
            by_index = f"port {port} of this deploy served from"
            assert by_record in refused.stdout or by_index in refused.stdout, refused.stdout
    finally:
        for env in ("staging", "production"):
            project.run("stop", "--env", env)


def test_a_target_the_host_has_no_record_of_needs_the_approvals_of_what_it_may_be(
    project: Project, approver_keys: Path
) -> None:
    """Hostile case 281 before anything was deployed: the host pins production's requirements
    but not its port, so which port staging serves is the checkout's word on a first use (a
    reviewed commit swapping the ports would plan production's port as staging). A first use
    the host has no record of takes production's approvals; a real staging deploy with that
    approval records the target (anchors record, targets index), and staging's next deploy
    asks none."""
    from tests.support.deploy.host import folder

    project.write_config(
        approvers={"alice": {"key": str(approver_keys / "alice.pub"), "roles": ["lead"]}},
        deployers={"carol": {"key": str(approver_keys / "carol.pub")}})
    _staging_and_production(project)
    host_file = pin(folder(project.root),
                    '[environments.production]\nrequires = "staging"\nrequired_approvals = 1\n')
    project.commit("v1")
    deployer = ("--deployer-key", str(approver_keys / "carol.key"))
    try:
        first = project.run("deploy", "--env", "staging", "--dry-run", *deployer)
        assert first.returncode == 2, first.stdout + first.stderr
        assert ("needs 1 approval(s) (any approver): the first use of a target the host has "
                "no record of, which may be production's (the host pins production's "
                f"requirements but not its port, {host_file}") in first.stdout
        approved = project.run("approve", "--env", "staging", "--key",
                               str(approver_keys / "alice.key"))
        assert approved.returncode == 0, approved.stdout + approved.stderr
        deployed = project.run("deploy", "--env", "staging", *deployer)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "approved by alice (lead)" in deployed.stdout
        project.commit("v2")
        known = project.run("deploy", "--env", "staging", "--dry-run")
        assert known.returncode == 0, known.stdout + known.stderr
        assert "first use" not in known.stdout
    finally:
        project.run("stop", "--env", "staging")


def test_production_takes_only_staging_s_judged_and_newest_evidence(project: Project) -> None:
    """Hostile cases 324 and 338, real deploys: staging's first deployment that nobody sent a
    request to ("too little traffic to judge") is no proof of a healthy staging deploy; one
    judged on real traffic is; and a verdict staging's gate saw superseded by a newer
    ``blocked`` one for the same commit is superseded for production too."""
    from tests.support.deploy.load import Clients

    staging_url = _staging_and_production(project)
    sha = project.commit("v1", age=timedelta(minutes=10))
    older = project.verdict_path.read_text()
    try:
        quiet = project.run("deploy", "--env", "staging")  # nobody sends it a request
        assert quiet.returncode == 0, quiet.stdout + quiet.stderr
        assert "too little traffic to judge" in quiet.stdout
        unjudged = project.run("deploy", "--env", "production", "--dry-run")
        assert unjudged.returncode == 1, unjudged.stdout + unjudged.stderr
        assert "#1 succeeded (succeeded unjudged: its analysis did not judge real traffic)" \
            in unjudged.stdout
        assert project.run("stop", "--env", "staging").returncode == 0
        with Clients(staging_url, rate=60):
            judged = project.run("deploy", "--env", "staging")
        assert judged.returncode == 0, judged.stdout + judged.stderr
        assert project.run("deploy", "--env", "production", "--dry-run").returncode == 0
        # the same commit's tests run again and fail now: staging's gate sees it, refuses it
        project.write_verdict(sha, decision="blocked", age=timedelta(minutes=1))
        assert project.run("deploy", "--env", "staging").returncode == 1
        project.verdict_path.write_text(older)
        replay = project.run("deploy", "--env", "production", "--dry-run")
        assert replay.returncode == 1, replay.stdout + replay.stderr
        assert f"superseded: a newer verdict for {sha[:12]}" in replay.stdout
        assert "blocked" in replay.stdout
    finally:
        for env in ("staging", "production"):
            project.run("stop", "--env", env)


# -- requires is a host anchor (deploy/requirements.py): the checkout may only add --------------
DROPPED = PROJECT.replace('requires = "staging"\nrequires_within = "2h"\n', "")


def host(tmp_path: Path, text: str) -> tuple[Path, ...]:
    """A host whose deploy configuration is ``text``: its folders, as a deploy reads them (the
    CLI of a project in ``tmp_path`` reads the same folder: tests/support/deploy/host.py)."""
    return (pin(tmp_path / "host" / "pyramid", text).parent,)


PINNED = '[environments.production]\nrequires = "staging"\nrequires_within = "1h"\n'


def test_a_checkout_that_drops_requires_is_still_held_to_the_host_s(
    layout: Path, tmp_path: Path
) -> None:
    (layout / "pyproject.toml").write_text(DROPPED)
    production = load_config(layout, env="production", cwd=layout)
    assert production.requires == ""  # the checkout asks for nothing any more
    bare = (tmp_path / "no-host-config",)
    assert staged(production, COMMIT, now_utc(), bare) is None  # the hole the host closes
    roots = host(tmp_path, PINNED)
    refused = str(staged(production, COMMIT, now_utc(), roots))
    assert "production requires a healthy staging deploy of aaaaaaaaaaaa first" in refused
    assert f"required by the host ({tmp_path}/host/pyramid/deploy.toml)" in refused
    staging = Path(production.environment_histories["staging"])
    staging.parent.mkdir(parents=True)
    history = History(staging, environment="staging")
    try:
        _succeeded(history, COMMIT)
        assert staged(production, COMMIT, now_utc(), roots) is None
        # the host's window, not the checkout's default 72h
        assert "within 1h" in str(staged(production, COMMIT, now_utc() + timedelta(hours=2),
                                         roots))
    finally:
        history.close()


@pytest.mark.parametrize(
    ("project", "pinned", "expected"),
    [
        # the checkout adds a requirement the host does not have: both hold
        (PROJECT.replace('requires = "staging"', 'requires = "qa"') +
         "[tool.pyramid.deploy.environments.qa]\nport = 9002\n", PINNED,
         ["staging (required by the host", "qa (required by this checkout)"]),
        # the same environment from both: the shorter window holds (the host's 1h here)
        (PROJECT, PINNED, ["staging (required by the host (HOST) and this checkout), 1h"]),
        # a longer window in the checkout never widens the host's
        (PROJECT.replace('"2h"', '"400h"'), '[environments.production]\nrequires_within = '
         '"3h"\n', ["staging (required by this checkout), 3h"]),
    ],
)
def test_the_requirements_in_force_are_the_host_s_and_the_checkout_s_together(
    layout: Path, tmp_path: Path, project: str, pinned: str, expected: list[str]
) -> None:
    from pytest_pyramid.deploy.requirements import in_force

    (layout / "pyproject.toml").write_text(project)
    production = load_config(layout, env="production", cwd=layout)
    roots = host(tmp_path, pinned)
    found = [f"{n.environment} (required by {n.origin}), {n.within / 3600:g}h"
             for n in in_force(production, roots)]
    where = str(tmp_path / "host" / "pyramid" / "deploy.toml")
    assert len(found) == len(expected)
    for text, want in zip(sorted(found), sorted(expected), strict=True):
        assert text.startswith(want.replace("HOST", where))


RENAMED = DROPPED.replace("environments.production]", "environments.prod]")
NO_ENVIRONMENTS = PROJECT.split("[tool.pyramid.deploy.environments.staging]")[0]


@pytest.mark.parametrize(
    ("project", "env", "refused"),
    [
        # hostile case 230: the host's requirements are keyed by a name the checkout chooses;
        # a host that pins environments names every target it serves (allow-list)
        (DROPPED, "production", "requires a healthy staging deploy"),  # pinned by name
        (DROPPED, "staging", None),  # named by the host as what production requires
        (RENAMED, "prod", "environment 'prod' is none of them"),
        (NO_ENVIRONMENTS, None, "a deploy without environments is none of them"),
    ],
)
def test_a_target_the_host_does_not_name_is_refused_when_the_host_pins_environments(
    layout: Path, tmp_path: Path, project: str, env: str | None, refused: str | None
) -> None:
    (layout / "pyproject.toml").write_text(project)
    config = load_config(layout, env=env, cwd=layout)
    found = staged(config, COMMIT, now_utc(), host(tmp_path, PINNED))
    assert (found is None) if refused is None else (refused in str(found)), found
    if env == "prod":  # the file and what to do are named
        assert f"({tmp_path}/host/pyramid/deploy.toml)" in str(found)
        assert "[environments.prod]" in str(found)
    # without a host file nothing is pinned, and every one of them deploys as before
    assert staged(config, COMMIT, now_utc(), (tmp_path / "no-host-config",)) is None


def test_a_required_environment_the_checkout_does_not_define_is_refused(
    layout: Path, tmp_path: Path
) -> None:
    (layout / "pyproject.toml").write_text(DROPPED)
    production = load_config(layout, env="production", cwd=layout)
    roots = host(tmp_path, '[environments.production]\nrequires = "canary-hosts"\n')
    assert "defines no environment 'canary-hosts'" in str(
        staged(production, COMMIT, now_utc(), roots))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[environments.production]\nrequire = "staging"\n',
         r"environments\.production\.require = 'staging'.*unknown key"),
        ('[environments.production]\nrequires_within = "soon"\n',
         r"environments\.production\.requires_within = 'soon'"),
        ('[environments.production]\nrequires = "production"\n', "cannot require itself"),
        ('environments = "production"\n', "expected tables"),
    ],
)
def test_a_bad_host_requirement_names_the_key_and_the_file(
    layout: Path, tmp_path: Path, text: str, match: str
) -> None:
    production = load_config(layout, env="production", cwd=layout)
    with pytest.raises(ConfigError, match=match) as refused:
        staged(production, COMMIT, now_utc(), host(tmp_path, text))
    assert refused.value.source.endswith("host/pyramid/deploy.toml")


def test_pyramid_deploy_refuses_production_when_the_commit_dropped_its_requirement(
    repo: Project, tmp_path: Path
) -> None:
    """Through the CLI, the one route a deploy takes: the commit's pyproject has no
    `requires` any more, the host pins it, production is refused without a staging deploy."""
    repo.write_config(port=None)
    with (repo.root / "pyproject.toml").open("a") as toml:
        toml.write("[tool.pyramid.deploy.environments.staging]\nport = 9001\n"
                   "[tool.pyramid.deploy.environments.production]\nport = 9000\n")
    repo.commit("v1: production no longer requires staging")
    host(tmp_path, PINNED)  # where the CLI's launcher reads the host's pins
    done = repo.run("deploy", "--env", "production", "--dry-run")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "requires a healthy staging deploy" in done.stdout
    assert "required by the host" in done.stdout


def test_a_required_environment_s_evidence_is_located_by_the_host(
    layout: Path, tmp_path: Path
) -> None:
    """Hostile case 337: the commit under test names qa's history as staging's; the history a
    requirement reads is the one staging's own deploys write as the host's targets index
    records it, else in the work folder the host pins, else in staging's work folder: never
    the commit's ``history`` key."""
    from pytest_pyramid.deploy.requirements import in_force
    from pytest_pyramid.deploy.targets import claim, index_path

    (layout / "pyproject.toml").write_text(PROJECT.replace(
        "[tool.pyramid.deploy.environments.staging]\n",
        '[tool.pyramid.deploy.environments.staging]\nhistory = ".pyramid/deploy/qa/h.sqlite"\n'))
    production = load_config(layout, env="production", cwd=layout)
    roots = host(tmp_path, "")

    def located() -> Path | None:
        return in_force(production, roots)[0].history

    assert located() == layout / ".pyramid/deploy/staging/history.sqlite"  # not qa's
    pinned = tmp_path / "pinned-staging"
    roots = host(tmp_path, f'[environments.staging]\nwork_dir = "{pinned}"\n'
                           '[environments.production]\n')
    assert located() == pinned / "history.sqlite"
    # staging deployed once (from its pinned folder, writing its history elsewhere): the
    # index the host kept says where, whatever the commit under test says now
    staging = load_config(layout, env="staging", cwd=layout)
    where = index_path(roots)
    assert where is not None
    moved = tmp_path / "staging-history.sqlite"
    from dataclasses import replace

    claim(where, replace(staging, work_dir=pinned, history=moved), at="t", event="staging",
          taking=frozenset())
    assert located() == moved
