"""A commit cannot choose what judges its own rollout: the router that writes the log the
analysis reads, the program that applies the weights, or a strategy that sends every user at
once (deploy/arguments.py: ANCHORED_SETTINGS, ANCHORED_LIMITS). Real nginx, real versions."""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

import pytest

from tests.support.deploy.helpers import Load, app_command

if TYPE_CHECKING:
    from tests.support.deploy.helpers import Project


def _last_outcome(project: Project) -> str:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        row = db.execute("SELECT outcome FROM deployments ORDER BY id DESC LIMIT 1").fetchone()
    return str(row[0])


@pytest.mark.deployed_with(steps=[50, 100])  # judged by them later (371)
def test_a_failing_release_cannot_judge_itself_through_its_own_router_and_log(
        deployed: tuple[Project, str]) -> None:
    """The commit switches to the command router (a program that does nothing, a log it ships
    full of successes) and to blue-green, while its version fails every request: it is judged
    through the serving release's nginx, as a canary, and rolled back."""
    project, first = deployed
    (project.root / "all-good.log").write_text("a log this commit wrote itself\n" * 50)
    project.write_config(strategy="blue-green", router="command", router_command="true",
                         access_log="all-good.log")
    project.commit("v2 judges itself", command=app_command("error", "--error-rate", "1.0"))
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy")
        mark = time.monotonic()
        load.wait_for(len(load.results) + 20)
    assert result.returncode == 1, result.stdout
    assert "[limits] strategy: kept 'canary', not this commit's 'blue-green'" in result.stdout
    assert "[limits] router: kept 'nginx', not this commit's 'command'" in result.stdout
    assert "[limits] access_log: kept None" in result.stdout
    assert "[smoke]" not in result.stdout  # no blue-green switch
    assert "50%] measurement" in result.stdout  # a canary step, measured through nginx
    assert _last_outcome(project) == "rolled_back"
    assert set(load.served_by(since=mark)) == {first[:12]}
