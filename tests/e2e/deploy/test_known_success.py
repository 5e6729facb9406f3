"""A request is a success only when known to be one (hostile cases 370, 372, 374, 420, 421):
real nginx, real processes, real clients. A release answering 404 to every user, redirecting
every user to the sign-in page, or cutting every answer short after its 200 headers, is rolled
back, also when its commit names the users' path a smoke path; a deploy whose only traffic is
the health path's probes through the public port is not judged on real traffic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.deploy.test_faults import assert_failures_before, rows, steps, when
from tests.support.deploy.helpers import app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.deploy.helpers import Project


# v1 deployed with the steps v2 keeps (371: a commit cannot loosen its own steps)
@pytest.mark.deployed_with(steps=[50, 100])
@pytest.mark.parametrize(("mode", "reason"), [
    ("missing", "4xx share 100.00% exceeds stable 0.00%"),  # 370
    ("signin", "3xx share"),  # 421: every user sent to /login (the clients follow to it)
    # 420: the commit names the users' path a smoke path; their requests are still judged
    ("missing+smoke", "4xx share 100.00% exceeds stable 0.00%"),
    # 374: 200 headers, the body cut short; and chunked, where only nginx's error log tells.
    # Judged on the first window's share, whatever it is: a CI run once judged a window where
    # 9 of 10 cut answers were charged (90.00%), still far past the 0.50% limit
    ("truncated", "error rate "),
    ("cut-chunked", "error rate "),
])
def test_a_release_that_fails_users_without_a_5xx_is_rolled_back(
    deployed: tuple[Project, str], mode: str, reason: str
) -> None:
    project, first = deployed
    app_mode, _, smoke = mode.partition("+")
    project.write_config(steps=[50, 100], smoke_paths=["/healthz", "/"] if smoke else None)
    project.commit(f"v2-{mode}", command=app_command(app_mode))
    with Clients(project.url, rate=60) as clients:
        clients.wait_for(10)
        result = project.run("deploy", "--progress-deadline", "2m")
        clients.settle_on(first, requests=10)
    assert result.returncode == 1, result.stdout
    row = rows(project)[-1]
    assert row["outcome"] == "rolled_back", row
    assert reason in row["reason"], row["reason"]
    if reason == "error rate ":  # a breach of the error-rate limit, not some other rule
        assert "> limit 0.50%" in row["reason"], row["reason"]
    assert steps(project, row["id"]) == [(50, "failed")]
    assert project.state()["stable"]["commit"] == first
    assert_failures_before(clients, when(row["restored_at"]))


def test_probes_of_the_health_path_are_not_user_traffic(project: Project, tmp_path: Path) -> None:
    fault = tmp_path / "fault"
    fault.write_text("every user request fails\n")
    project.write_config(command=app_command("good", "--fail-file", str(fault)), min_requests=5)
    project.commit("v1")
    # an uptime monitor polling the health path through the public port: its only traffic
    with Clients(f"{project.url}/healthz", rate=100) as monitor:
        result = project.run("deploy")
    # the probes reached the version through the router (before it started they could not)
    assert [r for r in monitor.results if r.ok]
    assert result.returncode == 0, result.stdout
    assert "too little traffic to judge" in result.stdout
    row = rows(project)[-1]
    assert (row["outcome"], row["judged"]) == ("succeeded", 0)
