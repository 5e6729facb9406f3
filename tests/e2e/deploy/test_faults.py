"""Fault scenarios: real nginx, real app processes, three kinds of loopback client counting every
request. Each scenario asserts the requests that failed (who, and when relative to the moment
traffic was restored) and the final state (what serves, what runs, what the history says).

Nothing asserts how many requests fit in a time window: a busy machine sends fewer requests,
and every assertion holds for any count. Figures are reported through ``fault_report`` (and
``PYRAMID_FAULT_REPORT=file`` collects them for docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.processes import is_alive, start_ticks
from pytest_pyramid.deploy.state import send_request
from tests.support.deploy.helpers import APP, Project, app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# -- helpers --------------------------------------------------------------------------------------
#: where what a test judges is not the canary's steps (a rollback, the bake, the watch after the
#: rollout, a supervisor finishing it), the new release goes out in one step to 100%
#: (``one_step``), and v1 ships that plan (steps are anchored: a later commit cannot drop one,
#: hostile case 371). A 4-step rollout costs a few seconds more, and each step's analysis is
#: proven by the tests that assert the steps.
ONE_STEP = pytest.mark.deployed_with(steps=[100])


def one_step(project: Project) -> None:
    """The next commit's table goes out in one step to 100% (``ONE_STEP``)."""
    project.write_config(steps=[100])


def rows(project: Project) -> list[dict[str, Any]]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM deployments ORDER BY id")]


def steps(project: Project, deployment_id: int) -> list[tuple[int, str]]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        return list(db.execute("SELECT weight, result FROM steps WHERE deployment_id = ? "
                               "ORDER BY rowid", (deployment_id,)))


def when(text: str | None) -> float | None:
    return None if not text else datetime.fromisoformat(
        text.replace("Z", "+00:00")).timestamp()


def restore_figures(row: dict[str, Any], fault_at: float | None = None) -> dict[str, Any]:
    """Time to restore: from the fault (default: the new version's first traffic) to all
    traffic verified back on a good version, as the history recorded it."""
    restored = when(row.get("restored_at"))
    start = fault_at if fault_at is not None else when(row.get("exposed_at"))
    after = None if restored is None or start is None else round(restored - start, 3)
    return {"restored_after_s": after, "rollback_s": row.get("rollback_s")}


def assert_failures_before(clients: Clients, moment: float | None) -> None:
    """Every failed request had started before traffic was restored."""
    assert moment is not None
    late = [r for r in clients.failures if r.started > moment]
    assert late == [], late[:5]


def nginx_pids(project: Project, role: str) -> list[int]:
    """The master of the ``role`` nginx, then every other process in its group (its workers).

    The master first by what it is, never by sorting: pids wrap around (pid_max is 32768
    here), so a worker may have a smaller pid than its master."""
    master = int((project.work_dir / "router" / role / "nginx.pid").read_text().strip())
    group = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == master:
                group.append(int(stat.parent.name))
    others = sorted(pid for pid in group if pid != master)
    return [master, *others] if master in group else others  # a dead master: its orphans


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def finish(process: subprocess.Popen[str], timeout: float = 120) -> str:
    try:
        out, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    print(out)
    return out


@pytest.fixture
def live(deployed: tuple[Project, str]) -> Iterator[tuple[Project, str, Clients]]:
    """A deployed first version with the three clients already sending requests to it."""
    project, first = deployed
    with Clients(project.url) as clients:
        clients.wait_for(30)
        yield project, first, clients


# -- 9: a good canary loses nothing, for any client kind ------------------------------------------
def test_good_canary_loses_no_request_for_any_client_kind(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    second = project.commit("v2")
    old_pid = project.state()["stable"]["pid"]
    result = project.run("deploy", "--bake", "1s")
    assert result.returncode == 0, result.stdout
    clients.settle_on(second)
    fault_report(clients, outcome=rows(project)[-1]["outcome"])
    assert clients.failed_by_kind() == {"keepalive": 0, "session": 0, "fresh": 0}
    assert set(clients.sent_by_kind()) == {"keepalive", "session", "fresh"}
    assert {first[:12], second[:12]} <= set(clients.served_by())
    assert "[bake]" in result.stdout
    row = rows(project)[-1]
    assert row["outcome"] == "succeeded"
    assert [w for w, _ in steps(project, row["id"])] == [5, 25, 50, 100, 100]  # 4 steps, bake
    assert not is_alive(old_pid)
    assert project.state()["previous"]["pid"] == old_pid


# -- 9: rollback drains the router before the new version stops -----------------------------------
def test_slow_canary_rollback_drains_requests_in_flight(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    project.commit("v2-slow", command=app_command("slow", "--delay", "0.8"))
    result = project.run("deploy")
    assert result.returncode == 1, result.stdout
    clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row))
    assert row["outcome"] == "rolled_back"
    assert "p95" in row["reason"]
    # Requests the slow version was still answering finished before it was stopped.
    assert clients.failures == []
    assert project.state()["rollout"] is None


def test_error_canary_fails_only_its_share_until_restored(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    project.commit("v2-errors", command=app_command("error", "--error-rate", "0.5"))
    result = project.run("deploy")
    assert result.returncode == 1, result.stdout
    clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row))
    assert row["outcome"] == "rolled_back"
    assert steps(project, row["id"]) == [(5, "failed")]
    assert_failures_before(clients, when(row["restored_at"]))
    assert {r.served for r in clients.failures} <= {"HTTP 500"}  # the canary's own answers


# -- 7: a hanging API is a failure (time-outs are errors), not "inconclusive" ---------------------
def test_hanging_canary_times_out_and_is_rolled_back(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    project.commit("v2-hangs", command=app_command("hang"))
    result = project.run("deploy", "--request-timeout", "1s")
    assert result.returncode == 1, result.stdout
    clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row))
    assert row["outcome"] == "rolled_back"
    assert "timed out" in row["reason"]
    # nginx gave each timed-out request a second try on the stable version.
    assert clients.failures == []


# -- 8: low traffic fails fast; no traffic at all ends at the progress deadline -------------------
@pytest.mark.deployed_with(steps=[50, 100], inconclusive_limit=1000)  # judged by them (371)
def test_failing_canary_under_low_traffic_fails_fast(
    deployed: tuple[Project, str], fault_report: Callable[..., object]
) -> None:
    project, first = deployed
    project.write_config(steps=[50, 100], inconclusive_limit=1000)  # tracked: looser
    project.commit("v2-all-errors", command=app_command("error", "--error-rate", "1.0"))
    with Clients(project.url, rate=3.0, kinds=("fresh",)) as clients:
        result = project.run("deploy", "--min-requests", "50", "--progress-deadline", "2m")
        clients.settle_on(first, requests=3)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row))
    assert result.returncode == 1, result.stdout
    assert row["outcome"] == "rolled_back"
    assert "even at min_requests 50" in row["reason"]
    assert_failures_before(clients, when(row["restored_at"]))


def test_rollout_without_traffic_rolls_back_at_the_progress_deadline(
    deployed: tuple[Project, str], fault_report: Callable[..., object]
) -> None:
    project, first = deployed
    project.commit("v2")
    result = project.run("deploy", "--inconclusive-limit", "1", "--progress-deadline", "2s")
    assert result.returncode == 1, result.stdout
    assert "[paused]" in result.stdout
    row = rows(project)[-1]
    fault_report(Clients(project.url), outcome=row["outcome"], **restore_figures(row))
    assert row["outcome"] == "rolled_back"
    assert "no progress within the progress deadline" in row["reason"]
    assert project.state()["stable"]["commit"] == first
    assert project.state()["rollout"] is None


@ONE_STEP
# -- 3: bake and `pyramid rollback` ---------------------------------------------------------------
def test_breach_during_bake_switches_back_at_once(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object], tmp_path: Path
) -> None:
    project, first, clients = live
    trigger = tmp_path / "fail-now"
    one_step(project)
    project.commit("v2-fails-later", command=app_command("good", "--fail-file", str(trigger)))
    deploy = project.popen("deploy", "--bake", "60s")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("status") == "baking", 90)
    old_pid = project.state()["stable"]["pid"]
    fault_at = time.time()
    trigger.write_text("the release breaks after promotion\n")
    out = finish(deploy)
    assert deploy.returncode == 1
    clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert row["outcome"] == "rolled_back"
    assert row["reason"].startswith("bake:")
    assert "[bake]" in out
    assert project.state()["stable"]["pid"] == old_pid  # the warm previous version, no restart
    assert_failures_before(clients, when(row["restored_at"]))


@ONE_STEP
def test_rollback_returns_to_the_previous_release_and_counts_as_a_change_failure(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    one_step(project)
    second = project.commit("v2")
    assert project.run("deploy").returncode == 0
    clients.settle_on(second)
    fault_at = time.time()
    result = project.run("rollback", "--by", "oncall")
    assert result.returncode == 0, result.stdout
    clients.settle_on(first)
    history = rows(project)
    revert, reverted = history[-1], history[-2]
    restored = when(reverted["reverted_at"])
    assert restored is not None
    fault_report(clients, outcome=revert["outcome"], restored_after_s=round(restored - fault_at, 3),
                 rollback_s=revert["rollback_s"])
    assert clients.failures == []
    assert (revert["kind"], revert["outcome"]) == ("rollback", "succeeded")
    assert reverted["reverted_by"] == revert["id"]
    assert project.state()["stable"]["commit"] == first
    assert Path(project.state()["stable"]["release"]).is_dir()
    assert "change failure rate:     50.0%" in project.run("stats").stdout  # v2 of v1, v2
    again = project.run("rollback")
    assert again.returncode == 1
    assert "no earlier version" in again.stdout


@ONE_STEP
def test_rollback_during_bake_is_an_abort_onto_the_warm_version(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    one_step(project)
    project.commit("v2")
    deploy = project.popen("deploy", "--bake", "60s")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("status") == "baking", 90)
    fault_at = time.time()
    result = project.run("rollback", "--by", "oncall")
    finish(deploy)
    assert result.returncode == 0, result.stdout
    assert deploy.returncode == 1
    clients.settle_on(first)
    fault_report(clients, outcome=rows(project)[-1]["outcome"],
                 **restore_figures(rows(project)[-1], fault_at))
    assert clients.failures == []
    assert rows(project)[-1]["outcome"] == "aborted"
    assert "rolled back by oncall at bake" in rows(project)[-1]["reason"]


# -- 4: a dead stable is started again; every step is still analysed ------------------------------
def test_dead_stable_is_revived_and_the_release_still_goes_step_by_step(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, _, clients = live
    second = project.commit("v2")
    stable = project.state()["stable"]
    fault_at = time.time()
    os.kill(stable["pid"], signal.SIGKILL)
    result = project.run("deploy")
    assert result.returncode == 0, result.stdout
    clients.settle_on(second)
    row = rows(project)[-1]
    # Restored (for the clients) when the last request failed by the dead stable ended.
    last = max((r.ended for r in clients.failures), default=fault_at)
    fault_report(clients, outcome=row["outcome"], rollback_s=None,
                 restored_after_s=round(last - fault_at, 3))
    assert "[revive]" in result.stdout
    assert [w for w, _ in steps(project, row["id"])] == [5, 25, 50, 100]
    assert row["outcome"] == "succeeded"


def test_a_failed_canary_whose_stable_died_returns_to_the_last_good_release(
    live: tuple[Project, str, Clients],
) -> None:
    """Hostile case 424: the stable dies while a failing release is at its first step. The
    way back is the history's last good release, started again from its folder, not "no
    running version to return to" (stuck, every user on the failing release); the change
    failure keeps its cause."""
    project, first, clients = live
    project.commit("v2-bad", command=app_command("error", "--error-rate", "1.0"))
    deploy = project.popen("deploy", "--interval", "1s")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
    os.kill(project.state()["stable"]["pid"], signal.SIGKILL)
    out = finish(deploy)
    assert deploy.returncode == 1, out
    assert "[revive] the stable version is not running" in out
    assert "no running version to return to" not in out
    clients.settle_on(first)
    row = rows(project)[-1]
    assert (row["outcome"], row["cause"]) == ("rolled_back", "change")
    assert project.state()["stable"]["commit"] == first
    assert project.state().get("rollout") is None


def test_bad_release_with_an_unrecoverable_stable_is_never_a_success(
    live: tuple[Project, str, Clients], tmp_path: Path, fault_report: Callable[..., object]
) -> None:
    project, _, clients = live
    broken = tmp_path / "stable-broken"
    project.commit("v1b", command=app_command(
        "good", "--fail-file", str(broken), "--fail-health", "--fail-start"))
    assert project.run("deploy").returncode == 0
    broken.write_text("the stable version breaks, and breaks again when restarted\n")
    project.commit("v2-bad", command=app_command("error", "--error-rate", "1.0"))
    result = project.run("deploy")
    assert result.returncode == 1, result.stdout
    assert "[revive] failed" in result.stdout
    assert "exited before it became healthy" in result.stdout  # at once, not after 10 s
    row = rows(project)[-1]
    assert row["outcome"] == "failed"
    assert steps(project, row["id"])[0] == (5, "failed")  # analysed, not waved through
    status = project.run("status")
    assert status.returncode == 1
    assert "stuck" in status.stdout
    broken.unlink()  # the cause is fixed
    aborted = project.run("abort", "--by", "oncall")
    assert aborted.returncode == 0, aborted.stdout
    final = rows(project)[-1]
    assert final["outcome"] == "aborted"
    assert "rollback failed" in final["reason"]  # the recorded failure reason is kept
    assert "abort by oncall" in final["reason"]
    assert project.run("status").returncode == 0
    fault_report(clients, outcome=f"{row['outcome']}, then aborted")


# -- 5: safety never waits on bookkeeping ---------------------------------------------------------
def test_locked_history_does_not_delay_the_rollback(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    project.commit("v2-bad", command=app_command("error", "--error-rate", "0.5"))
    deploy = project.popen("deploy", "--interval", "1s")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
    locker = sqlite3.connect(project.work_dir / "history.sqlite", isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")  # held until the deploy is over
        out = finish(deploy)
        assert deploy.returncode == 1
        held_throughout = locker.in_transaction
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    clients.settle_on(first)
    assert held_throughout
    assert "[rollback] all traffic on stable" in out
    assert "[history] could not record" in out
    assert "kept in" in out
    listed = project.run("history")  # the next command writes what was kept
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row))
    assert listed.returncode == 0
    assert row["outcome"] == "rolled_back"
    assert row["restored_at"] is not None
    assert not (project.work_dir / "history.pending.jsonl").exists()
    assert_failures_before(clients, when(row["restored_at"]))


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "tiny-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("a full disk needs a small tmpfs, which needs mount (root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def test_full_disk_under_the_history_does_not_stop_the_rollback(
    live: tuple[Project, str, Clients], tiny_disk: Path, fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    shutil.copy(project.work_dir / "history.sqlite", tiny_disk / "history.sqlite")
    project.write_config(history=str(tiny_disk / "history.sqlite"))
    project.commit("v2-bad", command=app_command("error", "--error-rate", "0.5"))
    deploy = project.popen("deploy", "--interval", "1s")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
    with contextlib.suppress(OSError), (tiny_disk / "filler").open("wb") as filler:
        while True:  # fill the disk: every later history write meets ENOSPC
            filler.write(b"\0" * 65536)
            filler.flush()
    out = finish(deploy)
    assert deploy.returncode == 1
    clients.settle_on(first)
    assert "[rollback] all traffic on stable" in out
    assert "could not record" in out
    assert "full" in out
    (tiny_disk / "filler").unlink()
    assert project.run("history").returncode == 0  # space again: the kept records go in
    with sqlite3.connect(tiny_disk / "history.sqlite") as db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("SELECT * FROM deployments ORDER BY id DESC").fetchone())
    outcome, restored = row["outcome"], row["restored_at"]
    fault_report(clients, outcome=outcome, **restore_figures(row))
    assert outcome == "rolled_back"
    assert restored is not None


# -- 6: the router is checked at every measurement ------------------------------------------------
@pytest.mark.parametrize("victim", ["split master", "both nginx groups"])
def test_router_killed_mid_rollout_is_restarted_and_the_rollout_rolled_back(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object], victim: str
) -> None:
    project, first, clients = live
    project.commit("v2")
    deploy = project.popen("deploy", "--interval", "1s")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
    old = {role: nginx_pids(project, role) for role in ("edge", "split")}
    fault_at = time.time()
    if victim == "split master":
        os.kill(old["split"][0], signal.SIGKILL)  # its workers are orphaned, still serving
    else:
        for role in ("edge", "split"):
            os.killpg(old[role][0], signal.SIGKILL)  # a total outage
    out = finish(deploy)
    assert deploy.returncode == 1
    clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert row["outcome"] == "rolled_back"
    assert "router failed" in row["reason"]
    assert "inconclusive" not in row["reason"].lower()
    assert "started" in out  # a new nginx from the last good configuration
    leftovers = [pid for pid in old["split"] if is_alive(pid)]
    if victim == "split master":
        assert leftovers == []  # the orphaned workers were stopped
    assert project.run("status").returncode == 0
    assert_failures_before(clients, when(row["restored_at"]))


def test_hung_split_nginx_mid_rollout_is_restarted_and_the_rollout_rolled_back(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    """The split's workers stopped while its master runs: nothing is answered, the port still
    accepts connections. The rollout's router check knows it from the kernel (no probe to wait
    out), the group is killed and started again with all traffic on stable, and the release
    is not blamed (cause ``router``)."""
    project, first, clients = live
    project.commit("v2")
    deploy = project.popen("deploy", "--interval", "1s")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
    master, *workers = nginx_pids(project, "split")
    ticks = {pid: start_ticks(pid) for pid in workers}
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    fault_at = time.time()  # from here no request can be answered until the restart
    try:
        out = finish(deploy)
    finally:
        for pid in workers:
            if is_alive(pid, ticks[pid]):
                os.kill(pid, signal.SIGCONT)
    clients.settle_on(first)
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row, fault_at))
    assert deploy.returncode == 1
    assert row["outcome"] == "rolled_back"
    assert row["cause"] == "router"
    assert "the split nginx's workers are stopped" in row["reason"], row["reason"]
    assert "was hung" in out
    assert nginx_pids(project, "split")[0] != master
    assert all(not is_alive(pid, ticks[pid]) for pid in workers)
    assert clients.failed_after_recovery(fault_at) == []
    assert project.run("status").returncode == 0


def test_orphaned_nginx_workers_are_seen_and_stopped(deployed: tuple[Project, str]) -> None:
    project, _ = deployed
    split = nginx_pids(project, "split")
    os.kill(split[0], signal.SIGKILL)
    workers = [pid for pid in split[1:] if is_alive(pid)]
    assert workers  # they keep the port and the old weights
    status = project.run("status")
    assert status.returncode == 1
    assert "orphaned split nginx: worker process" in status.stdout
    stopped = project.run("stop")
    assert stopped.returncode == 0, stopped.stdout
    assert "stopped orphaned" in stopped.stdout
    assert not any(is_alive(pid) for pid in workers)
    assert not listening(project.port)


@ONE_STEP
def test_next_deploy_restarts_a_router_whose_edge_master_died(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, _, clients = live
    one_step(project)
    second = project.commit("v2")
    edge = nginx_pids(project, "edge")
    os.kill(edge[0], signal.SIGKILL)
    result = project.run("deploy")
    assert result.returncode == 0, result.stdout
    assert "stopped orphaned" in result.stdout
    clients.settle_on(second)
    fault_report(clients, outcome=rows(project)[-1]["outcome"])
    assert not any(is_alive(pid) for pid in edge)


def test_a_public_port_held_by_another_program_is_named(project: Project) -> None:
    project.commit("v1")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", project.port))
        squatter.listen()
        result = project.run("deploy")
    assert result.returncode == 1
    assert f"127.0.0.1:{project.port} is in use by pid {os.getpid()}" in result.stdout
    assert project.state().get("stable") is None
    assert project.run("status").returncode == 0  # nothing runs: the version was stopped


# -- 1: control requests name their rollout and are consumed once ---------------------------------
def test_promote_during_a_rollback_is_refused_and_leaves_nothing_behind(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, first, clients = live
    project.commit("v2-slow", command=app_command("slow", "--delay", "1.5"))
    deploy = project.popen("deploy")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
    # The rollback drains the slow requests in flight, so it lasts a while; whether promote
    # comes while it runs or just after it, it must be refused and leave nothing behind.
    project.wait_state(lambda s: (s.get("rollout") or {}).get("status", "gone") in (
        "rolling_back", "gone"), 90)
    promote = project.run("promote", "--by", "eager")
    finish(deploy)
    assert promote.returncode == 1, promote.stdout
    assert "refused" in promote.stdout
    control = project.work_dir / "control"
    assert not control.exists() or list(control.glob("*.request.json")) == []
    # The next, unrelated deploy is judged on its own: a bad release is rolled back.
    project.commit("v3-bad", command=app_command("error", "--error-rate", "0.5"))
    result = project.run("deploy")
    assert result.returncode == 1, result.stdout
    assert rows(project)[-1]["outcome"] == "rolled_back"
    clients.settle_on(first)
    fault_report(clients, outcome="promote refused; next deploy rolled back")


def test_a_stale_request_for_another_rollout_is_refused_not_applied(
    deployed: tuple[Project, str], fault_report: Callable[..., object]
) -> None:
    project, first = deployed
    first_row = rows(project)[-1]["id"]
    project.commit("v2-bad", command=app_command("error", "--error-rate", "0.5"))
    ghost = send_request(project.work_dir, first_row, "promote", "ghost")  # an old rollout's
    with Clients(project.url) as clients:
        clients.wait_for(30)
        result = project.run("deploy")
        clients.settle_on(first)
    assert result.returncode == 1, result.stdout
    assert rows(project)[-1]["outcome"] == "rolled_back"
    row = rows(project)[-1]
    fault_report(clients, outcome=row["outcome"], **restore_figures(row))
    answer = project.work_dir / "control" / f"{ghost.nonce}.answer.json"
    assert json.loads(answer.read_text())["done"] is False
    assert list((project.work_dir / "control").glob("*.request.json")) == []


def test_promote_names_its_rollout(live: tuple[Project, str, Clients]) -> None:
    project, _, clients = live
    second = project.commit("v2")
    deploy = project.popen("deploy", "--interval", "5s")  # time for the commands below to run
    state = project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
    wrong = project.run("promote", "--rollout", str(state["rollout"]["id"] + 100))
    assert wrong.returncode == 1
    assert "is not in progress" in wrong.stdout
    right = project.run("promote", "--rollout", str(state["rollout"]["id"]), "--by", "lead")
    finish(deploy)
    assert right.returncode == 0, right.stdout
    assert deploy.returncode == 0
    clients.settle_on(second)
    assert "promoted by lead at step" in rows(project)[-1]["reason"]


# -- 10: state is never trusted blindly -----------------------------------------------------------
def test_deploy_killed_during_the_health_wait_leaks_nothing(deployed: tuple[Project, str]) -> None:
    project, _ = deployed
    project.write_config(health_timeout="60s")  # looser than the fixture's: tracked
    project.commit("v2-slow-start", command=app_command("good", "--start-delay", "30"))
    deploy = project.popen("deploy")
    state = project.wait_state(lambda s: (s.get("rollout") or {}).get("status") == "starting")
    starting = state["rollout"]["canary"]
    lease = json.loads((project.work_dir / "supervisor.lease").read_text().strip("\0 \n"))
    os.kill(lease["pid"], signal.SIGKILL)  # the supervisor, which owns the rollout
    finish(deploy)
    status = project.run("status")
    assert status.returncode == 1
    assert "unwatched" in status.stdout
    assert "started to resume it" in status.stdout  # it stops the version never exposed
    project.wait_state(lambda s: s.get("rollout") is None)
    result = project.run("stop")
    assert result.returncode == 0, result.stdout
    assert not is_alive(starting["pid"], starting["start_ticks"])
    assert rows(project)[-1]["outcome"] == "aborted"
    assert [r for r in rows(project) if r["outcome"] == "in_progress"] == []


def test_deleted_state_is_rebuilt_and_the_running_version_not_orphaned(
    live: tuple[Project, str, Clients], fault_report: Callable[..., object]
) -> None:
    project, _, clients = live
    old = project.state()["stable"]
    (project.work_dir / "state.json").unlink()
    assert project.run("status").returncode == 3
    second = project.commit("v2")
    result = project.run("deploy")
    assert result.returncode == 0, result.stdout
    assert "rebuilt from the router and the process registry" in result.stdout
    assert "first deployment" not in result.stdout
    assert "[step 4/4]" in result.stdout
    clients.settle_on(second)
    fault_report(clients, outcome=rows(project)[-1]["outcome"])
    assert clients.failures == []
    assert not is_alive(old["pid"], old["start_ticks"])  # replaced, not orphaned


@pytest.mark.parametrize("content", ["{ this is not json", '{"stable": 42, "rollout": []}'])
def test_corrupt_state_is_rebuilt_by_deploy(deployed: tuple[Project, str], content: str) -> None:
    project, first = deployed
    (project.work_dir / "state.json").write_text(content)
    status = project.run("status")
    assert status.returncode == 3
    assert "Traceback" not in status.stdout + status.stderr
    same = project.run("deploy")
    assert same.returncode == 0, same.stdout
    assert "rebuilt" in same.stdout
    assert "already the stable version" in same.stdout
    assert project.state()["stable"]["commit"] == first
    assert project.run("status").returncode == 0


# -- 11: status exit codes ------------------------------------------------------------------------
@pytest.mark.deployed_with(inconclusive_limit=1000)  # a later rollout judged by it (371)
def test_status_exit_codes(deployed: tuple[Project, str]) -> None:
    project, _ = deployed
    assert project.run("status").returncode == 0  # healthy and idle
    project.write_config(inconclusive_limit=1000)  # looser than the fixture's: tracked
    project.commit("v2")
    deploy = project.popen("deploy", "--interval", "1s")
    project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
    assert project.run("status").returncode == 2  # a rollout in progress, watched
    assert project.run("abort").returncode == 0
    finish(deploy)
    stable = project.state()["stable"]
    os.kill(stable["pid"], signal.SIGKILL)
    dead = project.run("status")
    assert dead.returncode == 1  # degraded: the stable version is gone
    assert "is not running" in dead.stdout


# -- 2: releases are started from the exact commit ------------------------------------------------
@pytest.mark.deployed_with(steps=[100])
def test_the_release_is_the_commit_not_the_working_tree(deployed: tuple[Project, str]) -> None:
    project, _ = deployed
    shutil.copy(APP, project.root / "app.py")
    (project.root / "name.txt").write_text("one\n")
    command = f"{sys.executable} app.py --port {{port}} --name-file name.txt"
    # which code serves is the point here, not the canary's steps: one step to 100%
    project.write_config(command=command, steps=[100])
    first = project.commit("the app, version one")
    with Clients(project.url) as clients:
        assert project.run("deploy").returncode == 0
        clients.settle_on("one")
        (project.root / "name.txt").write_text("edited\n")  # uncommitted, untested
        (project.root / "extra.py").write_text("raise SystemExit('untracked')\n")
        redeployed = project.run("deploy", "--redeploy")
        assert redeployed.returncode == 0, redeployed.stdout
        clients.settle_on("one")  # the commit's name.txt, not the edited one
        (project.root / "extra.py").unlink()
        (project.root / "name.txt").write_text("two\n")
        second = project.commit("version two")
        assert project.run("deploy").returncode == 0
        clients.settle_on("two")
        older = project.run("deploy", "--commit", first)
        assert older.returncode == 1  # the verdict on disk is for the newer commit
        project.write_verdict(first)
        assert project.run("deploy", "--commit", first).returncode == 0
        clients.settle_on("one")
    assert clients.failures == []
    releases = project.work_dir / "releases"
    assert {p.name for p in releases.iterdir() if not p.name.startswith(".")} >= {first, second}
    assert not (releases / first / "extra.py").exists()
