"""Hostile cases 461 and 467 with real nginx and real processes.

461: a commit moving the port into ``[environments.production]`` gets a new work folder with
an empty history; after ``pyramid stop`` on the old folder, it is still judged by the
service's last good release's limits, and that release is started again as its stable
version and returned to (deploy/service_places.py).
467: ``pyramid rollback`` starts the previous release with its own commit's ``pass_env``
(deploy/last_release.py: started_as), not the current table's."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import urllib.request
from contextlib import closing
from typing import TYPE_CHECKING

from tests.support.deploy.helpers import APP, app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from tests.support.deploy.helpers import Project


def _answer(project: Project) -> str:
    with urllib.request.urlopen(project.url, timeout=5) as response:
        return str(response.read().decode()).split()[0]


def test_a_rollback_starts_the_previous_release_with_its_own_pass_env(
        project: Project) -> None:
    # v1 names itself by the API_BASE it is passed (its commit passes it), v2 does not read it
    reads = (f"sh -c 'exec {sys.executable} {APP} --port {{port}} "
             "--name \"${{API_BASE:-unset}}\"'")
    project.env["API_BASE"] = "payments"
    # the way back's environment is the point, not the canary's steps: one step (ONE_STEP in
    # test_faults.py)
    project.write_config(command=reads, pass_env=["SAMPLE_APP_PID_DIR", "API_BASE"],
                         steps=[100])
    project.commit("v1 reads API_BASE")
    assert project.run("deploy").returncode == 0
    assert _answer(project) == "payments"
    project.write_config(command=app_command(), pass_env=["SAMPLE_APP_PID_DIR"])
    second = project.commit("v2 no longer reads it")
    with Clients(project.url, rate=60) as clients:
        assert project.run("deploy").returncode == 0
        clients.settle_on(second)
        back = project.run("rollback")
    assert back.returncode == 0, back.stdout
    assert _answer(project) == "payments"  # not "unset": v1 runs as it ran


def test_the_way_back_and_the_limits_follow_the_port_into_a_new_work_folder(
        project: Project) -> None:
    project.write_config(error_rate_limit="0.5%", steps=[50, 100])
    first = project.commit("v1")
    with Clients(project.url, rate=60) as clients:  # judged on real traffic: a way back
        assert project.run("deploy").returncode == 0
        clients.settle_on(first)
    # v2 fails every request, loosens its own limit and moves the port into production
    project.write_config(port=None, error_rate_limit="100%",
                         command=app_command("error", "--error-rate", "1.0"))
    with (project.root / "pyproject.toml").open("a") as handle:
        handle.write(f"[tool.pyramid.deploy.environments.production]\nport = {project.port}\n")
    bad = project.commit("v2: a production environment")
    # the old folder's service is stopped under the table it runs with (the restructuring)
    subprocess.run(["git", "checkout", "-q", "HEAD~1", "--", "pyproject.toml"],
                   cwd=project.root, check=True)
    assert project.run("stop").returncode == 0
    subprocess.run(["git", "checkout", "-q", "HEAD", "--", "pyproject.toml"],
                   cwd=project.root, check=True)
    with Clients(project.url, rate=60):
        result = project.run("deploy", "--env", "production")
    assert result.returncode == 1, result.stdout
    assert "nothing runs, but the history's last good release is " + first[:12] in \
        result.stdout
    assert "[limits] error_rate_limit: kept 0.005" in result.stdout
    assert _answer(project) == first[:12]
    with closing(sqlite3.connect(project.work_dir / "production" / "history.sqlite")) as db:
        last = db.execute("SELECT commit_sha, outcome FROM deployments ORDER BY id DESC"
                          " LIMIT 1").fetchone()
    assert tuple(last) == (bad, "rolled_back")
