"""The rollout outlives the command that started it: a detached supervisor owns it, and a
lease (heartbeat) tells whether anybody watches. Real nginx, real processes, real signals.

Each fault is measured as the bad release's serving time: from the moment the test made the
release bad (or killed/froze its watcher) to all traffic verified back on the good version,
as the history recorded it (``fault_report``; ``PYRAMID_FAULT_REPORT`` collects the figures
for docs/deploy.md). Nothing asserts how long that took.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.processes import is_alive, start_ticks
from pytest_pyramid.deploy.sight import disk_full
from pytest_pyramid.deploy.supervisor import read_watch_status
from tests.e2e.deploy.test_blind import occupy, split_log
from tests.e2e.deploy.test_faults import (
    ONE_STEP,
    assert_failures_before,
    finish,
    nginx_pids,
    one_step,
    restore_figures,
    rows,
    steps,
    when,
)
from tests.support.deploy.helpers import Project, app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def lease(project: Project, name: str = "supervisor.lease") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.work_dir / name).read_text().strip("\0 \n"))
    return data


def watched_by(project: Project) -> int | None:
    """The pid of the post-bake watch, while it holds its lease."""
    with contextlib.suppress(OSError, ValueError):
        record = lease(project, "watch.lease")
        if not record["released"] and start_ticks(record["pid"]) == record["start_ticks"]:
            return int(record["pid"])
    return None


def job_log(project: Project, kind: str) -> str:
    """Everything the supervisor's jobs of ``kind`` (deploy, resume, watch) have logged."""
    return "".join(log.read_text() for log in sorted(
        (project.work_dir / "supervisor").glob(f"*-{kind}-*.log")))


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


def supervisor_pid(project: Project) -> int:
    """The supervisor's pid, from its lease, checked against the kernel's start time."""
    record = lease(project)
    assert start_ticks(record["pid"]) == record["start_ticks"]
    return int(record["pid"])


def restored(project: Project) -> bool:
    return project.state().get("rollout") is None and \
        rows(project)[-1]["outcome"] not in ("in_progress", "paused")


def at_25_percent(project: Project, message: str, trigger: Path,
                  *app_args: str) -> subprocess.Popen[str]:
    """A deploy of a release that fails once ``trigger`` exists, followed up to 25%."""
    project.write_config(interval="0.5s", inconclusive_limit=1000)
    project.commit(message, command=app_command("good", "--fail-file", str(trigger), *app_args))
    deploy = project.popen("deploy")
    try:
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 25, 90)
    except AssertionError:
        deploy.send_signal(signal.SIGABRT)
        finish(deploy, 30)  # its output says why
        raise
    return deploy


@pytest.mark.deployed_with(inconclusive_limit=1000)  # a later rollout judged by it (371)
def test_killed_deploy_command_leaves_the_rollout_to_its_supervisor(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path
) -> None:
    project, first = deployed
    trigger = tmp_path / "fail-now"
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = at_25_percent(project, "v2-fails-at-25", trigger)
        deploy.send_signal(signal.SIGKILL)
        finish(deploy)
        fault_at = time.time()
        trigger.write_text("the release breaks after its command died\n")
        wait_for(lambda: restored(project), 90)
        clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert row["outcome"] == "rolled_back"
    assert "25%" in row["reason"]
    assert_failures_before(clients, when(row["restored_at"]))
    assert project.state()["stable"]["commit"] == first


@ONE_STEP
def test_detached_deploy_completes_under_its_supervisor(deployed: tuple[Project, str]) -> None:
    project, _ = deployed
    one_step(project)
    second = project.commit("v2")
    before = len(rows(project))
    with Clients(project.url) as clients:
        clients.wait_for(30)
        result = project.run("deploy", "--detach")
        assert result.returncode == 0, result.stdout
        assert "detached" in result.stdout
        wait_for(lambda: len(rows(project)) > before and rows(project)[-1]["outcome"] not in (
            "in_progress", "paused"), 90)
        clients.settle_on(second)
    assert clients.failures == []
    assert rows(project)[-1]["outcome"] == "succeeded"
    assert project.state()["stable"]["commit"] == second
    assert project.run("status").returncode == 0


@pytest.mark.deployed_with(inconclusive_limit=1000)  # a later rollout judged by it (371)
def test_killed_supervisor_is_resumed_by_the_next_command(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path
) -> None:
    project, first = deployed
    trigger = tmp_path / "fail-now"
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = at_25_percent(project, "v2-fails-later", trigger)
        pid = supervisor_pid(project)
        os.kill(pid, signal.SIGKILL)
        out = finish(deploy)
        assert "without a result" in out
        fault_at = time.time()
        trigger.write_text("the release breaks while nobody watches\n")
        status = project.run("status")
        assert status.returncode == 1
        assert "unwatched" in status.stdout
        assert f"supervisor pid {pid} is gone" in status.stdout
        assert "started to resume it" in status.stdout
        wait_for(lambda: restored(project), 90)
        clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert row["outcome"] == "rolled_back"
    assert_failures_before(clients, when(row["restored_at"]))
    assert project.state()["stable"]["commit"] == first
    assert project.run("status").returncode == 0


@pytest.mark.deployed_with(steps=[50, 100])  # judged by them later (371)
def test_a_resumed_bake_judges_the_traffic_nobody_watched_and_keeps_its_watched_time(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path
) -> None:
    """The supervisor dies 2 s into a 60 s bake; the release fails for a while and heals before
    anybody looks. The resumed bake neither starts its 60 s again nor ends without judging the
    unwatched stretch: it reads from where its window began, and finds the failures."""
    project, first = deployed
    trigger = tmp_path / "fail-now"
    project.write_config(interval="0.5s", bake="60s", steps=[50, 100])
    project.commit("v2-breaks-while-unwatched",
                   command=app_command("good", "--fail-file", str(trigger)))

    def baked_for(seconds: float) -> Callable[[dict[str, Any]], bool]:
        def check(state: dict[str, Any]) -> bool:
            progress = (state.get("rollout") or {}).get("progress") or {}
            return progress.get("phase") == "bake" and progress["watched_s"] >= seconds
        return check

    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        project.wait_state(baked_for(2.0), 90)
        os.kill(supervisor_pid(project), signal.SIGKILL)
        finish(deploy)
        watched = project.state()["rollout"]["progress"]["watched_s"]
        fault_at = time.time()
        trigger.write_text("the release fails while nobody watches\n")
        wait_for(lambda: len(clients.failures) >= 10)
        trigger.unlink()  # healthy again before anybody looks
        healed = time.time()
        wait_for(lambda: len([r for r in clients.since(healed) if r.ok]) >= 10)
        project.run("status")  # the next command resumes the rollout
        wait_for(lambda: restored(project), 90)
        clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    resumed = "".join(log.read_text() for log in (project.work_dir / "supervisor").glob(
        "*-resume-*.log"))
    carried = resumed.split("[resume] bake: ", 1)[1].split(" of it was already watched")[0]
    assert float(carried.rstrip("s")) >= min(watched, 2.0) - 0.05
    assert row["outcome"] == "rolled_back"
    assert "bake" in row["reason"]
    assert project.state()["stable"]["commit"] == first


@pytest.mark.deployed_with(steps=[50, 100])  # judged by them later (371)
def test_a_supervisor_killed_mid_step_is_resumed_in_that_step_from_its_durable_record(
    deployed: tuple[Project, str],
) -> None:
    """Killed inside the 50% step's analysis (some of its 6 measurements done), the resumed
    supervisor neither starts the step over nor promotes early: it carries the recorded
    successes and takes exactly the rest, at the same weight, and the step is recorded once."""
    project, _ = deployed
    project.write_config(steps=[50, 100], interval="0.5s", measurements=6,
                         inconclusive_limit=1000)
    second = project.commit("v2")

    def mid_step(state: dict[str, Any]) -> bool:
        progress = (state.get("rollout") or {}).get("progress") or {}
        return progress.get("phase") == "step" and progress.get("successes", 0) >= 1

    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        project.wait_state(mid_step, 90)
        pid = supervisor_pid(project)
        os.kill(pid, signal.SIGSTOP)  # frozen first: what the state says is what it did
        killed = project.state()["rollout"]
        os.kill(pid, signal.SIGKILL)
        finish(deploy)
        carried = killed["progress"]["successes"]
        assert (killed["progress"]["stage"], killed["weight"]) == (1, 50), killed
        assert 1 <= carried < 6, killed["progress"]
        project.run("status")  # the next command resumes the rollout
        wait_for(lambda: restored(project), 90)
        clients.settle_on(second)
    resumed = job_log(project, "resume")
    assert "[resume] step 1/2: " in resumed, resumed
    assert f"already watched, {carried} successful measurement(s)" in resumed
    assert "[step 1/2] " in resumed  # the same step, its weights re-applied as they were
    assert "[step 2/2] " in resumed
    passes = [line for line in resumed.splitlines()
              if line.startswith("[step 1/2 50%] measurement") and line.endswith("SUCCESSFUL")]
    assert len(passes) == 6 - carried, resumed  # the rest of the step, not a new one
    row = rows(project)[-1]
    assert row["outcome"] == "succeeded"
    assert [weight for weight, _ in steps(project, row["id"])] == [50, 100]
    assert clients.failures == []
    assert project.state()["stable"]["commit"] == second


@pytest.mark.deployed_with(inconclusive_limit=1000)  # a later rollout judged by it (371)
def test_frozen_supervisor_is_unwatched_and_abort_takes_its_lease(
    deployed: tuple[Project, str], fault_report: Callable[..., object]
) -> None:
    project, first = deployed
    project.write_config(interval="0.5s", inconclusive_limit=1000, lease_timeout="1s")
    project.commit("v2")
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5, 90)
        pid = supervisor_pid(project)
        ticks = start_ticks(pid)
        fault_at = time.time()
        os.kill(pid, signal.SIGSTOP)
        try:
            def unwatched() -> bool:
                return "unwatched" in project.run("status").stdout
            wait_for(unwatched)
            status = project.run("status")
            assert status.returncode == 1
            assert "does not answer" in status.stdout
            aborted = project.run("abort", "--by", "oncall")
            assert aborted.returncode == 0, aborted.stdout
            assert f"SIGKILL to pid {pid}" in aborted.stdout
            clients.settle_on(first)
        finally:
            if is_alive(pid, ticks):
                os.kill(pid, signal.SIGCONT)
        finish(deploy)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert not is_alive(pid, ticks)  # it can never wake up and act on traffic it lost
    assert row["outcome"] == "aborted"
    assert "abort by oncall" in row["reason"]
    assert clients.failures == []
    assert project.state()["rollout"] is None
    assert project.run("status").returncode == 0


@pytest.mark.deployed_with(inconclusive_limit=1000, p95_limit="5s")  # judged by them later
def test_second_sigterm_during_the_rollback_still_closes_the_history_row(
    deployed: tuple[Project, str],
) -> None:
    project, first = deployed
    project.write_config(interval="0.5s", inconclusive_limit=1000, p95_limit="5s")
    project.commit("v2-slow", command=app_command("slow", "--delay", "0.3"))
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 25, 90)
        pid = supervisor_pid(project)
        os.kill(pid, signal.SIGTERM)
        # the second one once the rollback is under way (not after a fixed pause, which on a
        # loaded machine may come before the first was even handled: one pending signal)
        wait_for(lambda: not is_alive(pid) or "[reconcile]" in job_log(project, "deploy"))
        if is_alive(pid):
            os.kill(pid, signal.SIGTERM)
        out = finish(deploy)
        clients.settle_on(first)
    assert deploy.returncode == 1
    assert "deploy interrupted" in out
    row = rows(project)[-1]
    assert row["outcome"] == "aborted"
    assert project.state()["rollout"] is None
    assert project.state()["stable"]["commit"] == first


@pytest.mark.deployed_with(inconclusive_limit=1000)  # a later rollout judged by it (371)
def test_foreground_supervisor_resumes_a_rollout_without_any_command(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path
) -> None:
    """What systemd runs (examples/pyramid-supervisor.service), run directly here."""
    project, first = deployed
    trigger = tmp_path / "fail-now"
    # the next commit's table, not committed yet as it starts: it reads its commit's table
    # from git, so the edit neither ends it (it used to exit 3) nor needs waiting for
    project.write_config(interval="0.5s", inconclusive_limit=1000)
    service = project.popen("supervise")
    assert service.stdout is not None
    started = service.stdout.readline()
    assert started.startswith("[supervise] watching"), started
    try:
        with Clients(project.url) as clients:
            clients.wait_for(30)
            deploy = at_25_percent(project, "v2-fails-later", trigger)
            os.kill(supervisor_pid(project), signal.SIGKILL)
            finish(deploy)
            fault_at = time.time()
            trigger.write_text("the release breaks while its supervisor is dead\n")
            wait_for(lambda: restored(project), 90)  # no pyramid command was run
            clients.settle_on(first)
    finally:
        service.send_signal(signal.SIGTERM)
        out = finish(service, 30)
    assert "resumes the orphaned rollout" in out
    assert service.returncode == 0
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert row["outcome"] == "rolled_back"
    assert_failures_before(clients, when(row["restored_at"]))


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = (Path(__file__).parents[3] / "examples" / "pyramid-supervisor.service").read_text()
    assert "Restart=on-failure" in unit
    # isolated (hostile case 221): the venv's python -I, never the console script
    assert "ExecStart=/srv/app/.venv/bin/python -I -m pytest_pyramid.deploy supervise " in unit
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt package systemd)")
    # the example's paths and user exist on a deploy host, not here: point them at this machine
    local = unit.replace("/srv/app/.venv/bin/python", sys.executable)
    local = local.replace("WorkingDirectory=/srv/app", f"WorkingDirectory={tmp_path}")
    local = local.replace("User=deploy", "User=root")
    path = tmp_path / "pyramid-supervisor.service"
    path.write_text(local)
    result = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# -- after the bake: the watch ---------------------------------------------------------------------
def released(project: Project, trigger: Path, policy: str) -> str:
    """v2 deployed (it fails once ``trigger`` exists) with the post-bake watch on, in one
    step (``ONE_STEP``)."""
    one_step(project)
    project.write_config(interval="0.5s", watch=policy)
    second = project.commit("v2-fails-after-its-bake",
                            command=app_command("good", "--fail-file", str(trigger)))
    result = project.run("deploy")
    assert result.returncode == 0, result.stdout
    wait_for(lambda: "watch: pid" in project.run("status").stdout)
    return second


@ONE_STEP
def test_watch_rolls_back_a_release_that_breaks_after_its_bake(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path
) -> None:
    project, first = deployed
    trigger = tmp_path / "fail-now"
    with Clients(project.url) as clients:
        clients.wait_for(30)
        second = released(project, trigger, "rollback")
        clients.settle_on(second)
        fault_at = time.time()
        trigger.write_text("the release breaks after its bake\n")
        wait_for(lambda: rows(project)[-1]["kind"] == "rollback" and
                 rows(project)[-1]["outcome"] != "in_progress", 90)
        clients.settle_on(first)
    history = rows(project)
    revert, reverted = history[-1], history[-2]
    restored_at = when(reverted["reverted_at"])
    assert restored_at is not None
    fault_report(clients, outcome=revert["outcome"],
                 restored_after_s=round(restored_at - fault_at, 3), rollback_s=revert["rollback_s"])
    assert (revert["kind"], revert["outcome"]) == ("rollback", "succeeded")
    assert "the watch" in revert["reason"]
    assert reverted["reverted_by"] == revert["id"]
    assert_failures_before(clients, restored_at)
    assert project.state()["stable"]["commit"] == first
    assert "change failure rate:     50.0%" in project.run("stats").stdout
    # the release the watch returned to is watched in turn, by the same supervisor
    wait_for(lambda: f"judges {first[:12]}" in project.run("status").stdout)


def breakable_first(project: Project, tmp_path: Path) -> tuple[Path, str]:
    """v1 deployed with a start command that fails every API request once the returned trigger
    exists (recorded with the version: a rollback to it starts it the same way)."""
    trigger = tmp_path / "v1-fails"
    project.write_config(command=app_command("good", "--fail-file", str(trigger)),
                         interval="0.5s", watch="rollback")
    first = project.commit("v1-breaks-later")
    assert project.run("deploy").returncode == 0
    return trigger, first


def watch_says_degraded(project: Project) -> bool:
    """The serving release's watch recorded it degraded (what `status` reports: waited on in
    its file, not by a `pyramid status` process per look)."""
    record = read_watch_status(project.work_dir) or {}
    stable = project.state().get("stable") or {}
    return record.get("state") == "degraded" and record.get("pid") == stable.get("pid")


def caught_breaking(project: Project, trigger: Path, first: str) -> None:
    """The watched release breaks; its watch finds it (nothing earlier to return to: alert)."""
    trigger.write_text("the watched release breaks\n")
    wait_for(lambda: watch_says_degraded(project))
    status = project.run("status")
    assert status.returncode == 1, status.stdout
    assert f"stable {first[:12]} is degraded" in status.stdout
    assert project.state()["stable"]["commit"] == first


def test_the_release_a_command_line_rollback_returns_to_is_watched(
    project: Project, tmp_path: Path
) -> None:
    one_step(project)  # v1 ships it (ONE_STEP): the rollback and the watch are the point
    trigger, first = breakable_first(project, tmp_path)
    with Clients(project.url) as clients:
        clients.wait_for(30)
        project.commit("v2", command=app_command())
        assert project.run("deploy").returncode == 0
        rolled = project.run("rollback", "--by", "oncall")
        assert rolled.returncode == 0, rolled.stdout
        clients.settle_on(first)
        assert f"judges {first[:12]}" in rolled.stdout
        wait_for(lambda: watched_by(project) is not None)
        status = project.run("status")
        assert f"watch: pid {watched_by(project)} judges {first[:12]}" in status.stdout
        caught_breaking(project, trigger, first)


def test_the_stable_release_is_watched_after_its_supervisor_rolled_a_rollout_back(
    project: Project, tmp_path: Path
) -> None:
    trigger, first = breakable_first(project, tmp_path)
    with Clients(project.url) as clients:
        clients.wait_for(30)
        project.commit("v2-errors", command=app_command("error"))
        result = project.run("deploy")
        assert result.returncode == 1
        assert "[rollback]" in result.stdout
        owner = int(result.stdout.split("[deploy] supervisor pid ", 1)[1].split()[0])
        wait_for(lambda: watched_by(project) == owner)  # before any command could start one
        caught_breaking(project, trigger, first)


def test_status_says_when_nothing_watches_the_serving_release(
    deployed: tuple[Project, str],
) -> None:
    project, first = deployed  # watch = "off"
    status = project.run("status")
    assert status.returncode == 0
    assert f"watch: off: nothing judges {first[:12]}" in status.stdout


@ONE_STEP
def test_watch_alert_policy_reports_the_release_degraded(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    project, _ = deployed
    trigger = tmp_path / "fail-now"
    with Clients(project.url) as clients:
        clients.wait_for(30)
        second = released(project, trigger, "alert")
        assert project.run("status").returncode == 0  # healthy: the health path is not enough
        trigger.write_text("the release breaks after its bake; its health path stays fine\n")
        wait_for(lambda: watch_says_degraded(project))
    status = project.run("status")
    assert status.returncode == 1, status.stdout
    assert "is degraded: its traffic breached the limits after the bake" in status.stdout
    assert "watch policy alert" in status.stdout
    assert project.state()["stable"]["commit"] == second  # alert only: nothing moved


def test_a_watch_blind_longer_than_blind_timeout_acts_by_its_policy(
    project: Project, fault_report: Callable[..., object], tmp_path: Path
) -> None:
    """The serving release's log leads nowhere (nothing a reopen mends): blind alone for longer
    than ``blind_timeout``, the watch rolls back to the previous release; the release it
    returned to is blind too, with nothing earlier to return to, so its watch alerts. (Both
    releases ship the watch settings: `status` reads the serving release's own table.)"""
    project.write_config(blind_timeout="2s", interval="0.5s", watch="rollback", steps=[100])
    first = project.commit("v1")
    assert project.run("deploy").returncode == 0
    with Clients(project.url) as clients:
        clients.wait_for(30)
        released(project, tmp_path / "never", "rollback")
        fault_at = time.time()
        occupy(split_log(project))
        wait_for(lambda: rows(project)[-1]["kind"] == "rollback" and
                 rows(project)[-1]["outcome"] != "in_progress", 90)
        clients.settle_on(first)
        wait_for(lambda: "stayed blind" in project.run("status").stdout, 60)
    revert = rows(project)[-1]
    restored_at = when(rows(project)[-2]["reverted_at"])
    assert restored_at is not None
    fault_report(clients, outcome=revert["outcome"],
                 restored_after_s=round(restored_at - fault_at, 3), rollback_s=revert["rollback_s"])
    assert (revert["kind"], revert["outcome"]) == ("rollback", "succeeded")
    assert "the watch" in revert["reason"]
    assert project.state()["stable"]["commit"] == first
    status = project.run("status").stdout
    assert f"stable {first[:12]} is degraded: its analysis stayed blind after the bake" in status
    assert "(blind_timeout 2.0s)" in status
    assert "watch policy rollback" in status  # nothing earlier to return to: an alert
    assert clients.failures == []  # a good release, blind: the watch's rollback loses nothing


@ONE_STEP
def test_watch_restarts_a_killed_router_at_once(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path
) -> None:
    project, _ = deployed
    trigger = tmp_path / "never"
    with Clients(project.url) as clients:
        clients.wait_for(30)
        second = released(project, trigger, "rollback")
        masters = {role: nginx_pids(project, role) for role in ("edge", "split")}
        fault_at = time.time()
        for pids in masters.values():
            os.killpg(pids[0], signal.SIGKILL)  # a total router outage, no command follows
        wait_for(lambda: any(r.ok for r in clients.since(fault_at)), 60)
        clients.settle_on(second)
        back = min(r.started for r in clients.since(fault_at) if r.ok)
    fault_report(clients, outcome="router restarted", restored_after_s=round(back - fault_at, 3))
    assert all(not is_alive(pid) for pids in masters.values() for pid in pids)
    assert project.run("status").returncode == 0
    assert clients.failed_after_recovery(fault_at) == []


@ONE_STEP
def test_watch_restarts_a_frozen_nginx_master(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    project, _ = deployed
    with Clients(project.url) as clients:
        clients.wait_for(30)
        second = released(project, tmp_path / "never", "rollback")
        split = nginx_pids(project, "split")
        ticks = start_ticks(split[0])
        os.kill(split[0], signal.SIGSTOP)  # alive, but it would apply no reload ever again
        try:
            wait_for(lambda: not is_alive(split[0], ticks))
        finally:
            if is_alive(split[0], ticks):
                os.kill(split[0], signal.SIGCONT)
        wait_for(lambda: project.run("status").returncode == 0)
        assert nginx_pids(project, "split")[0] != split[0]
        clients.settle_on(second)


@ONE_STEP
@pytest.mark.parametrize("role", ["split", "edge"])
def test_watch_restarts_a_hung_nginx_whose_master_still_runs(
    deployed: tuple[Project, str], fault_report: Callable[..., object], tmp_path: Path,
    role: str,
) -> None:
    """Its workers stopped: the master runs and is not frozen, the port accepts connections,
    nothing answers. Detected by the admin port, the group is killed and started again."""
    project, _ = deployed
    with Clients(project.url) as clients:
        clients.wait_for(30)
        second = released(project, tmp_path / "never", "rollback")
        master, *workers = nginx_pids(project, role)
        ticks = {pid: start_ticks(pid) for pid in workers}
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        fault_at = time.time()  # from here no request can be answered until the restart
        try:
            wait_for(lambda: not is_alive(master) and
                     all(not is_alive(pid, ticks[pid]) for pid in workers))
        finally:
            for pid in workers:
                if is_alive(pid, ticks[pid]):
                    os.kill(pid, signal.SIGCONT)
        wait_for(lambda: any(r.ok for r in clients.since(fault_at)), 60)
        clients.settle_on(second)
        back = min(r.started for r in clients.since(fault_at) if r.ok)
    fault_report(clients, outcome=f"hung {role} nginx restarted",
                 restored_after_s=round(back - fault_at, 3))
    assert nginx_pids(project, role)[0] != master
    assert clients.failed_after_recovery(fault_at) == []
    assert project.run("status").returncode == 0


def watch_lease_answers(project: Project, pid: int) -> bool:
    """``pid`` holds the watch lease and beats (it moved since the last look)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        first = lease(project, "watch.lease")
        time.sleep(0.5)
        again = lease(project, "watch.lease")
        return again["pid"] == pid and not again["released"] and again["beat"] > first["beat"]
    return False


@ONE_STEP
def test_status_takes_the_lease_of_a_frozen_watch_and_its_new_watch_rolls_back(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    """Hostile case 327: a watch frozen (SIGSTOP) stops beating; `status` takes its lease
    (SIGKILL, proven ours) and says a watch judges only once the new one holds the lease;
    that watch then rolls the failing release back."""
    project, first = deployed
    project.write_config(lease_timeout="1s")
    trigger = tmp_path / "fail-now"
    with Clients(project.url) as clients:
        clients.wait_for(30)
        released(project, trigger, "rollback")
        frozen = watched_by(project)
        assert frozen is not None
        ticks = start_ticks(frozen)
        os.kill(frozen, signal.SIGSTOP)
        try:
            trigger.write_text("the release breaks while its watch is frozen\n")
            wait_for(lambda: not is_alive(frozen, ticks) or
                     "does not answer" in project.run("status").stdout, 90)
        finally:
            if is_alive(frozen, ticks):
                os.kill(frozen, signal.SIGCONT)
        assert not is_alive(frozen, ticks)  # taken: it never wakes up to act
        wait_for(lambda: rows(project)[-1]["kind"] == "rollback" and
                 rows(project)[-1]["outcome"] == "succeeded", 90)
        clients.settle_on(first)
    assert "the watch" in rows(project)[-1]["reason"]


@ONE_STEP
def test_status_reports_a_watch_only_once_it_holds_the_lease(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    """Once the frozen watch's heartbeat is older than lease_timeout, each `watch: pid N
    judges` line names a process that holds a beating watch lease, never the frozen one."""
    project, _ = deployed
    project.write_config(lease_timeout="1s")
    with Clients(project.url) as clients:
        clients.wait_for(30)
        released(project, tmp_path / "never", "rollback")
    frozen = watched_by(project)
    assert frozen is not None
    ticks = start_ticks(frozen)
    os.kill(frozen, signal.SIGSTOP)
    try:
        wait_for(lambda: time.monotonic() - lease(project, "watch.lease")["beat"] > 1.5)
        for _ in range(3):
            status = project.run("status")
            if " judges " in status.stdout:
                pid = int(status.stdout.split(" judges ")[0].rsplit("pid ", 1)[1])
                assert pid != frozen, status.stdout
                assert watch_lease_answers(project, pid), status.stdout
    finally:
        if is_alive(frozen, ticks):
            os.kill(frozen, signal.SIGCONT)


@ONE_STEP
def test_supervise_starts_a_watch_when_the_serving_release_lost_its_own(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    """Hostile case 336: the watch killed (the OOM killer); with nobody typing a command,
    the foreground supervisor (systemd) starts a watch, which rolls the failing release
    back."""
    project, first = deployed
    trigger = tmp_path / "fail-now"
    with Clients(project.url) as clients:
        clients.wait_for(30)
        released(project, trigger, "rollback")
        killed = watched_by(project)
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        service = project.popen("supervise")
        try:
            trigger.write_text("the release breaks after its watch was killed\n")
            wait_for(lambda: rows(project)[-1]["kind"] == "rollback" and
                     rows(project)[-1]["outcome"] == "succeeded", 90)
            clients.settle_on(first)
        finally:
            service.send_signal(signal.SIGTERM)
            out = finish(service, 30)
    assert " judges " in out, out
    assert "the watch" in rows(project)[-1]["reason"]


@pytest.mark.deployed_with(inconclusive_limit=1000)  # a later rollout judged by it (371)
def test_a_rollback_whose_supervisor_dies_during_the_drain_stays_the_change_failure(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    """Hostile case 326 a: the breach's decision is in the state before the drain; the
    resumer finishes the rollout as rolled back by the change, not as interrupted."""
    project, first = deployed
    trigger = tmp_path / "fail-now"
    trigger.write_text("every request fails, slowly\n")
    project.write_config(interval="0.5s", inconclusive_limit=1000)
    # each answer takes 4 s: the breach waits for the first ones, and the drain for those in
    # flight, a window of seconds to kill the supervisor in (the state is polled every 20 ms)
    project.commit("v2-slow-and-failing",
                   command=app_command("slow", "--delay", "4", "--fail-file", str(trigger)))
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = project.popen("deploy")
        state = project.wait_state(
            lambda s: (s.get("rollout") or {}).get("status") == "rolling_back", 120)
        os.kill(supervisor_pid(project), signal.SIGKILL)
        finish(deploy)
        assert state["rollout"]["ending"] == "rolled_back"
        assert state["rollout"]["ending_cause"] == "change"
        project.run("status")  # the next command resumes it
        wait_for(lambda: restored(project), 120)
    row = rows(project)[-1]
    assert (row["outcome"], row["cause"]) == ("rolled_back", "change"), row
    assert project.state()["stable"]["commit"] == first


@pytest.mark.deployed_with(inconclusive_limit=1000)  # a later rollout judged by it (371)
def test_stop_force_takes_the_lease_of_a_frozen_supervisor(deployed: tuple[Project, str]) -> None:
    project, _ = deployed
    project.write_config(interval="0.5s", inconclusive_limit=1000, lease_timeout="1s")
    project.commit("v2")
    deploy = project.popen("deploy")  # no traffic: it waits at 5%, watched
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5, 90)
    pid = supervisor_pid(project)
    ticks = start_ticks(pid)
    os.kill(pid, signal.SIGSTOP)  # SIGTERM would stay pending for ever
    try:
        stopped = project.run("stop", "--force", "--wait", "60s")
    finally:
        if is_alive(pid, ticks):
            os.kill(pid, signal.SIGCONT)
    finish(deploy)
    assert stopped.returncode == 0, stopped.stdout
    assert f"SIGKILL to pid {pid}" in stopped.stdout
    assert not is_alive(pid, ticks)
    assert rows(project)[-1]["outcome"] == "aborted"


# -- a full disk in the work folder ---------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("a full disk needs a small tmpfs, which needs mount (root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as handle:
        while True:  # every later write in the work folder meets ENOSPC
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


@pytest.mark.deployed_with(inconclusive_limit=1000)  # a later rollout judged by it (371)
def test_full_work_folder_pauses_traffic_and_the_rollback_still_applies(
    project: Project, small_disk: Path, fault_report: Callable[..., object], tmp_path: Path
) -> None:
    project.work_dir.parent.mkdir(parents=True)
    project.work_dir.symlink_to(small_disk)  # the whole work folder on the small disk
    project.env["PYTHONFAULTHANDLER"] = "1"
    first = project.commit("v1")
    assert project.run("deploy").returncode == 0
    trigger = tmp_path / "fail-now"
    # The new version, stopped by the rollback once the traffic is back on stable, says so in
    # `stopping` (outside the small disk) and exits only when the test has removed the filler.
    # So the traffic is checked while the disk is full, and the rollback's bookkeeping (the
    # history's last writes, retried for 2 s before they are lost) comes after the space is
    # back, by construction: before, a busy machine could let the deploy give its records up
    # while the test was still checking the traffic. stop_timeout: time enough on any machine.
    stopping = tmp_path / "new-version-stopping"
    filler = small_disk / "filler"
    project.write_config(blind_timeout="3s", stop_timeout="300s")
    with Clients(project.url) as clients:
        clients.wait_for(30)
        deploy = at_25_percent(project, "v2-fails-when-the-disk-is-full", trigger,
                               "--stop-hold", str(stopping), str(filler))
        assert fill(small_disk) == filler
        fault_at = time.time()
        trigger.write_text("the release breaks while the work folder is full\n")
        # with no space left the traffic still goes back to stable: a rollback if the failures
        # reached the log, else a blind pause at 25% that blind_timeout ends with a rollback.
        # (Not "the last 20 requests were stable's": at 25% that happens by chance.)
        wait_for(stopping.exists, 90)
        clients.settle_on(first)
        back_after = time.time() - fault_at
        full = disk_full(small_disk)
        filler.unlink()
        out = finish(deploy)
        clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], restored_after_s=round(back_after, 3),
                 rollback_s=row["rollback_s"])
    assert full
    assert row["outcome"] == "rolled_back"
    assert "[rollback] all traffic on stable" in out
    if "[paused]" in out:
        assert "the work folder's disk is full" in out
        assert "the analysis stayed blind" in row["reason"]
    assert project.state()["stable"]["commit"] == first
