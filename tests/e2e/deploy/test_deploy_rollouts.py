"""Real rollouts: real nginx, real app processes on 127.0.0.1, bounded loopback load.

Each test prints the figures it measured (rollback time, fraction of failed client requests);
they are also attached to the report with record_property.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.processes import start_ticks
from tests.support.deploy.helpers import Load, Project, app_command

if TYPE_CHECKING:
    from collections.abc import Callable


def history(project: Project) -> list[dict[str, Any]]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM deployments ORDER BY id")]


def steps(project: Project, deployment_id: int) -> list[dict[str, Any]]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(
            "SELECT idx, weight, result FROM steps WHERE deployment_id = ? ORDER BY rowid",
            (deployment_id,))]


def settle_on(load: Load, version: str) -> None:
    """Everything served after now comes from ``version`` (checked over a short window)."""
    mark = time.monotonic()
    load.wait_for(len(load.results) + 40)
    served = load.served_by(since=mark)
    assert set(served) == {version[:12]}, served


def test_good_version_under_steady_load_has_zero_failed_requests(
    deployed: tuple[Project, str], record_property: Callable[[str, object], None]
) -> None:
    project, first = deployed
    second = project.commit("v2")
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy")
        assert result.returncode == 0, result.stdout
        settle_on(load, second)
    record_property("requests", len(load.results))
    assert load.failed == 0, load.results
    assert {first[:12], second[:12]} <= set(load.served_by())
    for weight in (5, 25, 50, 100):
        assert f"{weight}%] measurement" in result.stdout
    rows = history(project)
    assert rows[-1]["outcome"] == "succeeded"
    assert [s["weight"] for s in steps(project, rows[-1]["id"])] == [5, 25, 50, 100]
    assert project.state()["stable"]["commit"] == second
    assert project.state()["rollout"] is None
    status = project.run("status")
    assert f"{project.state()['stable']['port']}=100%" in status.stdout


@pytest.mark.parametrize(
    ("mode", "reason"),
    # a busy machine sends the canary fewer requests: its errors are then judged by count
    # ("2 error(s) in 4 request(s) ...") instead of by rate; either way the reason is errors
    [(("error", "--error-rate", "0.5"), "error"), (("slow", "--delay", "0.7"), "p95")],
)
def test_bad_version_is_rolled_back_at_the_first_step(
    deployed: tuple[Project, str], mode: tuple[str, ...], reason: str,
    record_property: Callable[[str, object], None],
) -> None:
    project, first = deployed
    project.commit("v2-bad", command=app_command(*mode))
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy")
        settle_on(load, first)
    assert result.returncode == 1, result.stdout
    row = history(project)[-1]
    assert row["outcome"] == "rolled_back"
    assert reason in row["reason"]
    assert [(s["weight"], s["result"]) for s in steps(project, row["id"])] == [(5, "failed")]
    assert row["rollback_s"] is not None
    record_property("rollback_s", row["rollback_s"])
    record_property("client_failed_fraction", load.failed_fraction)
    print(f"{mode[0]}: rollback {row['rollback_s']:.3f}s, failed client requests "
          f"{load.failed}/{len(load.results)} = {load.failed_fraction:.2%} "
          f"(deploy measured {row['client_failed_fraction']})")
    # Only the 5% share can fail, and only until the first measurement: far below 5%.
    assert load.failed_fraction < 0.05
    assert project.state()["stable"]["commit"] == first
    assert project.state()["rollout"] is None


def test_new_version_failing_its_health_check_never_takes_traffic(
    deployed: tuple[Project, str],
) -> None:
    project, first = deployed
    project.write_config(health_timeout="1.5s")
    project.commit("v2-unhealthy", command=app_command("unhealthy"))
    before = project.run("status").stdout
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy")
        settle_on(load, first)
    assert result.returncode == 1
    assert load.failed == 0
    row = history(project)[-1]
    assert row["outcome"] == "aborted"
    assert "failed its health check" in row["reason"]
    assert "HTTP 503" in row["reason"]
    assert project.run("status").stdout == before  # same generation, same weights


def test_version_crashing_mid_rollout_is_rolled_back(
    deployed: tuple[Project, str], record_property: Callable[[str, object], None]
) -> None:
    project, first = deployed
    project.commit("v2-crashes", command=app_command("crash", "--crash-after", "30"))
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy")
        settle_on(load, first)
    assert result.returncode == 1, result.stdout
    row = history(project)[-1]
    assert row["outcome"] == "rolled_back"
    assert "exited" in row["reason"] or "error rate" in row["reason"]
    record_property("client_failed_fraction", load.failed_fraction)
    # nginx retries a refused connection on the stable server, so clients barely notice.
    assert load.failed_fraction < 0.05
    assert project.state()["stable"]["commit"] == first


def test_reload_failure_keeps_the_old_config_and_abort_recovers(project: Project) -> None:
    include = project.root / "extra.conf"
    include.write_text("add_header X-Extra yes;\n")
    # the router's include is the last good release's (deploy/cli.py: _anchored_include): v1
    # ships it, so v2's rollout includes it
    project.write_config(nginx_include=str(include))
    first = project.commit("v1")
    assert project.run("deploy").returncode == 0
    project.write_config(interval="1s")
    project.commit("v2")
    with Load(project.url) as load:
        load.wait_for(20)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
        # the split includes the router's copy of the commit's file (hostile case 378): the
        # copy damaged on disk, the next `nginx -t` fails
        copies = list((project.work_dir / "router").glob("include-*.conf"))
        assert copies
        for copy in copies:
            copy.write_text("this is not nginx syntax\n")
        out, _ = deploy.communicate(timeout=60)
        print(out)
        assert deploy.returncode == 1
        assert "nginx -t rejected the new config, old config kept" in out
        state = project.state()
        assert state["rollout"]["status"] == "stuck"
        status = project.run("status").stdout
        assert "=95%" in status
        assert "=5%" in status
        include.write_text("add_header X-Extra yes;\n")
        aborted = project.run("abort", "--by", "oncall")
        assert aborted.returncode == 0, aborted.stdout
        settle_on(load, first)
    assert load.failed == 0
    rows = history(project)
    assert rows[-1]["outcome"] == "aborted"
    assert "abort by oncall" in rows[-1]["reason"]
    assert project.state()["rollout"] is None


def test_the_router_includes_the_commit_s_file_and_refuses_an_uncommitted_edit(
    project: Project,
) -> None:
    """Hostile case 378: nginx reads ``nginx_include`` at every reload, so the checkout's
    file would let an uncommitted edit (a "maintenance page") answer every user. The split
    includes the router's copy of the file as the commit holds it; an edit is refused. (v1
    ships the file: a changed include counts from the next rollout, deploy/cli.py
    ``_anchored_include``.)"""
    include = project.root / "ops" / "router.conf"
    include.parent.mkdir()
    include.write_text("add_header X-Router committed;\n")
    # which file the router includes is the point, not the canary's steps: one step (ONE_STEP
    # in test_faults.py)
    project.write_config(nginx_include="ops/router.conf", steps=[100])
    first = project.commit("v1")
    assert project.run("deploy").returncode == 0
    second = project.commit("v2")
    include.write_text('location ~ . { return 200 "maintenance page\\n"; }\n')
    refused = project.run("deploy")
    assert refused.returncode == 3, refused.stdout
    assert "nginx_include" in refused.stderr
    assert "differs from commit" in refused.stderr
    assert project.state()["stable"]["commit"] == first
    include.write_text("add_header X-Router committed;\n")
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy")
        assert result.returncode == 0, result.stdout
        settle_on(load, second)
    split = (project.work_dir / "router" / "split" / "nginx.conf").read_text()
    copy = next((project.work_dir / "router").glob("include-*.conf"))
    assert f"include {copy};" in split
    assert str(include) not in split
    assert copy.read_text() == "add_header X-Router committed;\n"


def test_deploy_killed_mid_rollout_is_reconciled_on_restart(
    deployed: tuple[Project, str],
) -> None:
    project, _ = deployed
    project.write_config(interval="0.5s")
    second = project.commit("v2")
    with Load(project.url) as load:
        load.wait_for(20)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 25)
        # The supervisor, not the command, owns the rollout: kill the supervisor (its pid
        # from its lease, confirmed by the kernel's start time).
        lease = json.loads((project.work_dir / "supervisor.lease").read_text().strip("\0 \n"))
        assert start_ticks(lease["pid"]) == lease["start_ticks"]
        os.kill(lease["pid"], signal.SIGKILL)
        deploy.wait(timeout=10)
        deploy.stdout.close()  # type: ignore[union-attr]
        # Both versions keep serving while nobody drives the rollout.
        mark = time.monotonic()
        load.wait_for(len(load.results) + 40)
        assert len(load.served_by(since=mark)) == 2
        result = project.run("deploy")
        assert result.returncode == 0, result.stdout
        assert "[reconcile]" in result.stdout
        assert "router actually serves" in result.stdout
        settle_on(load, second)
    assert load.failed == 0
    rows = history(project)
    assert [r["outcome"] for r in rows[-2:]] == ["aborted", "succeeded"]
    assert "left running at 25%" in rows[-2]["reason"]


# canary -> blue-green is anchored (every user at once): v1 ships it
@pytest.mark.deployed_with(strategy="blue-green")
def test_blue_green_switches_at_once_and_keeps_old_for_the_delay(
    deployed: tuple[Project, str],
) -> None:
    project, first = deployed
    second = project.commit("v2")
    old_pid = project.state()["stable"]["pid"]
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy", "--scale-down-delay", "1s")
        settle_on(load, second)
    assert result.returncode == 0, result.stdout
    assert "[smoke]" in result.stdout
    assert "[step 1/1] 127.0.0.1:" in result.stdout
    assert "=100% (generation" in result.stdout
    assert result.stdout.count("measurement") >= 2  # measured during the hold, old still up
    assert load.failed == 0
    assert project.state()["stable"]["pid"] != old_pid
    assert {first[:12], second[:12]} <= set(load.served_by())


# canary -> blue-green is anchored (every user at once): v1 ships it
@pytest.mark.deployed_with(strategy="blue-green")
def test_blue_green_bad_version_rolls_back_to_the_old_stack(
    deployed: tuple[Project, str], record_property: Callable[[str, object], None]
) -> None:
    project, first = deployed
    project.commit("v2-bad", command=app_command("error", "--error-rate", "0.5"))
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy")
        settle_on(load, first)
    assert result.returncode == 1
    row = history(project)[-1]
    assert row["outcome"] == "rolled_back"
    record_property("rollback_s", row["rollback_s"])
    record_property("client_failed_fraction", load.failed_fraction)
    print(f"blue-green rollback {row['rollback_s']:.3f}s, failed client requests "
          f"{load.failed_fraction:.2%}")


def test_no_traffic_is_inconclusive_pauses_watched_then_promote(
    deployed: tuple[Project, str],
) -> None:
    project, _ = deployed
    project.write_config(inconclusive_limit=1)
    second = project.commit("v2")
    deploy = project.popen("deploy")  # no load at all: never a silent pass
    try:
        project.wait_state(lambda s: (s.get("rollout") or {}).get("status") == "paused")
        status = project.run("status")
        assert status.returncode == 2  # in progress, and a deploy process still watches it
        assert "paused" in status.stdout
        assert "watched by its supervisor" in status.stdout
        promoted = project.run("promote", "--by", "lead")
        out, _ = deploy.communicate(timeout=60)
    finally:
        if deploy.poll() is None:
            deploy.kill()
            deploy.communicate(timeout=10)
    print(out)
    assert promoted.returncode == 0, promoted.stdout
    assert "INCONCLUSIVE" in out
    assert "[paused]" in out
    assert deploy.returncode == 0
    assert project.state()["stable"]["commit"] == second
    assert history(project)[-1]["outcome"] == "succeeded"
    assert "promoted by lead" in history(project)[-1]["reason"]


def test_abort_reaches_a_running_deploy(deployed: tuple[Project, str]) -> None:
    project, first = deployed
    project.write_config(interval="2s")
    project.commit("v2")
    with Load(project.url) as load:
        load.wait_for(20)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
        aborted = project.run("abort", "--by", "oncall")
        out, _ = deploy.communicate(timeout=30)
        print(out)
        assert aborted.returncode == 0, aborted.stdout
        assert deploy.returncode == 1
        settle_on(load, first)
    assert load.failed == 0
    row = history(project)[-1]
    assert row["outcome"] == "aborted"
    assert "aborted by oncall" in row["reason"]
    stats = project.run("stats").stdout
    assert "1 succeeded" in stats
    assert "1 aborted" in stats


def test_redeploy_canaries_the_commit_that_is_already_stable(
    deployed: tuple[Project, str],
) -> None:
    project, first = deployed
    old_pid = project.state()["stable"]["pid"]
    same = project.run("deploy")
    assert same.returncode == 0
    assert "already the stable version" in same.stdout
    assert project.state()["stable"]["pid"] == old_pid
    with Load(project.url) as load:
        load.wait_for(20)
        result = project.run("deploy", "--redeploy")
    assert result.returncode == 0, result.stdout
    assert "[step 4/4]" in result.stdout
    assert load.failed == 0
    assert project.state()["stable"]["commit"] == first
    assert project.state()["stable"]["pid"] != old_pid
