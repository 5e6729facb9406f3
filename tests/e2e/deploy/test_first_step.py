"""No traffic on a health check alone: a first deployment (also the first after `pyramid stop`)
and `pyramid rollback` to a release that is now broken are judged on real traffic before they
count as a success. Real nginx, real processes, the three kinds of client."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.processes import is_alive
from tests.e2e.deploy.test_faults import rows, steps
from tests.support.deploy.helpers import app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from subprocess import CompletedProcess

    from tests.support.deploy.helpers import Project


@pytest.mark.parametrize("before", ["nothing", "pyramid-stop"])
def test_a_failing_first_deployment_is_never_a_success(
    project: Project, before: str, fault_report: Callable[..., object]
) -> None:
    if before == "pyramid-stop":
        project.commit("v1")
        assert project.run("deploy").returncode == 0
        assert project.run("stop").returncode == 0
    project.write_config(command=app_command("error", "--error-rate", "1.0"))
    bad = project.commit("bad")
    with Clients(project.url, rate=90) as clients:
        started = time.time()
        result = deploy_until_judged(project)
        finished = time.time()
        time.sleep(0.5)
    assert result.returncode == 1, result.stdout
    assert "[first step 100%] measurement 1" in result.stdout
    row = rows(project)[-1]
    assert (row["commit_sha"], row["outcome"]) == (bad, "failed")
    assert "no earlier version to return to" in row["reason"]
    assert steps(project, row["id"]) == [(100, "failed")]
    assert project.state().get("stable") is None
    served = [r for r in clients.results if r.served == bad[:12]]
    assert served == []  # every answer it gave was an error
    assert project.run("status").returncode != 0
    # the bad release's serving time: from the deploy's start to its end (it was stopped)
    fault_report(clients, outcome=row["outcome"], serving_s=round(finished - started, 3))


def test_a_good_first_deployment_passes_its_first_step(project: Project) -> None:
    first = project.commit("v1")
    with Clients(project.url, rate=90) as clients:
        result = deploy_until_judged(project)
        assert result.returncode == 0, result.stdout
        clients.settle_on(first)
    assert "first step 100%: 1 measurement(s) within the limits" in result.stdout
    assert steps(project, rows(project)[-1]["id"]) == [(100, "passed")]


def test_a_first_deployment_answering_404_to_every_user_fails_by_the_absolute_rule(
    project: Project,
) -> None:
    """No stable share to judge its 4xx against (hostile follow-up of 370): the same share is
    judged by the absolute rule, said so, and the release is failed, not kept unjudged."""
    project.write_config(command=app_command("missing"))
    bad = project.commit("missing")
    with Clients(project.url, rate=90):
        result = deploy_until_judged(project)
    assert result.returncode == 1, result.stdout
    assert "above the absolute 20%" in result.stdout
    assert "the absolute rule" in result.stdout
    row = rows(project)[-1]
    assert (row["commit_sha"], row["outcome"]) == (bad, "failed")
    assert steps(project, row["id"]) == [(100, "failed")]


def test_a_first_deployment_nobody_uses_is_said_to_be_unjudged(project: Project) -> None:
    project.commit("v1")
    result = project.run("deploy")
    assert result.returncode == 0, result.stdout
    assert "too little traffic to judge in 1 measurement(s)" in result.stdout


def test_rollback_to_a_release_broken_since_is_judged_before_it_gets_all_traffic(
    project: Project, tmp_path: Path, fault_report: Callable[..., object]
) -> None:
    broken = tmp_path / "v1-broken"
    project.write_config(command=app_command("good", "--fail-file", str(broken)))
    first = project.commit("v1")
    with Clients(project.url, rate=90) as clients:
        assert project.run("deploy").returncode == 0
        project.write_config(command=app_command("good"))
        second = project.commit("v2")
        deployed = project.run("deploy")
        assert deployed.returncode == 0, deployed.stdout
        clients.settle_on(second)
        broken.write_text("v1 fails every request from now on\n")  # e.g. its database moved on
        fault_at = time.time()
        result = project.run("rollback", "--by", "oncall")
        assert result.returncode == 1, result.stdout
        clients.settle_on(second)
        settled = time.time()
    assert "the rollback target failed its analysis" in result.stdout
    assert "the current version keeps serving" in result.stdout
    assert project.state()["stable"]["commit"] == second
    row = rows(project)[-1]
    assert (row["kind"], row["outcome"]) == ("rollback", "aborted")
    assert rows(project)[-2]["reverted_by"] is None
    failed = [r for r in clients.failures if r.started >= fault_at]
    assert failed, "the target had a share of real traffic"
    assert {r.served for r in failed} == {"HTTP 500"}
    assert not [r for r in clients.since(fault_at) if r.ok and r.served == first[:12]]
    assert not any(is_alive(int(p.stem)) for p in (tmp_path / "pids").glob("*.pid")
                   if p.stem != str(project.state()["stable"]["pid"]))
    fault_report(clients, outcome=row["outcome"],
                 target_failed_requests=len(failed),
                 target_serving_s=round(max(r.ended for r in failed) - fault_at, 3),
                 until_settled_s=round(settled - fault_at, 3))


def test_after_stop_a_failing_release_returns_to_the_last_good_one_the_history_holds(
    project: Project,
) -> None:
    """Hostile case 376: "nothing runs" is not "nothing served". After `pyramid stop`, the
    history's last judged, succeeded release is started again as the stable version, so a
    release failing every request is rolled back to it, not left with no way back."""
    with Clients(project.url, rate=90) as clients:
        good = project.commit("v1")
        assert deploy_until_judged(project).returncode == 0
        clients.settle_on(good)
    assert rows(project)[-1]["judged"] == 1
    assert project.run("stop").returncode == 0
    assert project.state().get("stable") is None
    project.write_config(command=app_command("error", "--error-rate", "1.0"))
    bad = project.commit("bad")
    with Clients(project.url, rate=90) as clients:
        result = project.run("deploy")
        assert result.returncode == 1, result.stdout
        clients.settle_on(good)
    assert f"the history's last good release is {good[:12]}" in result.stdout
    assert "no earlier version to return to" not in result.stdout
    row = rows(project)[-1]
    assert (row["commit_sha"], row["outcome"]) == (bad, "rolled_back")
    assert project.state()["stable"]["commit"] == good


def deploy_until_judged(project: Project, attempts: int = 5) -> CompletedProcess[str]:
    """Deploy the last commit as a first deployment, under the test's traffic, until its first
    step judged that traffic; the judged attempt's result. A first step measures one
    ``interval`` of traffic, and a machine too loaded to answer ``min_requests`` in that
    window leaves the release unjudged, which the deploy says: then it is stopped and
    deployed again (a first deployment again). Whether a release passes or fails its judgement
    does not depend on the window; only whether the test gets one does."""
    for _ in range(attempts):
        result = project.run("deploy")
        if "too little traffic to judge" not in rows(project)[-1]["reason"]:
            return result
        assert result.returncode == 0, result.stdout  # unjudged is no failure
        assert project.run("stop").returncode == 0
    raise AssertionError(f"no first step judged its traffic in {attempts} deployments")
