"""`pyramid stop`: real nginx and real app processes torn down by pid + start-time identity."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.processes import Version, is_alive, start_ticks
from pytest_pyramid.deploy.state import DeployState, save_state
from tests.e2e.deploy.test_faults import ONE_STEP, one_step
from tests.support.deploy.helpers import app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.deploy.helpers import Project


def history(project: Project) -> list[dict[str, Any]]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM deployments ORDER BY id")]


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == pid:
                found.append(int(stat.parent.name))
    return found


def running_pids(project: Project) -> dict[str, tuple[int, int | None]]:
    """Every process a deployment left running: both nginx masters and workers, the versions."""
    state = project.state()
    pids: dict[str, tuple[int, int | None]] = {}
    for role in ("edge", "split"):
        master = int((project.work_dir / "router" / role / "nginx.pid").read_text().strip())
        pids[f"{role} nginx"] = (master, start_ticks(master))
        for n, worker in enumerate(children(master)):
            pids[f"nginx worker {role} {n}"] = (worker, start_ticks(worker))
    pids["stable"] = (state["stable"]["pid"], state["stable"]["start_ticks"])
    if state.get("rollout"):
        canary = state["rollout"]["canary"]
        pids["canary"] = (canary["pid"], canary["start_ticks"])
    assert all(is_alive(pid, ticks) for pid, ticks in pids.values()), pids
    return pids


def assert_port_free(port: int) -> None:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"something still listens on {port}"
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))  # what the next nginx or version will do
        server.listen()


def ports(project: Project) -> list[int]:
    facts = json.loads((project.work_dir / "router" / "router.json").read_text())
    internal = [int(facts[k]) for k in ("split_port", "edge_admin_port", "split_admin_port")]
    return [project.port, *internal, int(project.state()["stable"]["port"])]


def test_stop_ends_router_and_versions_then_says_nothing_runs(
    deployed: tuple[Project, str],
) -> None:
    project, _ = deployed
    pids = running_pids(project)
    used = ports(project)
    result = project.run("stop")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "quit gracefully" in result.stdout
    assert "stable" in result.stdout
    assert "stopped" in result.stdout
    still = {name: pid for name, (pid, ticks) in pids.items() if is_alive(pid, ticks)}
    assert still == {}
    for port in used:
        assert_port_free(port)
    assert project.state()["stable"] is None
    assert project.state()["rollout"] is None
    assert [r["outcome"] for r in history(project)] == ["succeeded"]  # stop is no deployment
    status = project.run("status")
    assert "not running" in status.stdout
    assert "stable: none" in status.stdout

    again = project.run("stop")
    assert again.returncode == 0
    assert "nothing is running" in again.stdout

    redeployed = project.run("deploy")  # a clean slate: a first deployment again
    assert redeployed.returncode == 0, redeployed.stdout
    assert "first deployment" in redeployed.stdout


@pytest.mark.deployed_with(inconclusive_limit=100)  # judged by it later (371)
def test_stop_is_refused_while_a_deploy_runs_and_force_rolls_it_back_first(
    deployed: tuple[Project, str],
) -> None:
    project, _ = deployed
    project.write_config(interval="1s", inconclusive_limit=100)
    project.commit("v2")
    deploy = project.popen("deploy")
    try:
        project.wait_state(lambda s: (s.get("rollout") or {}).get("weight") == 5)
        pids = running_pids(project)
        refused = project.run("stop")
        assert refused.returncode == 1
        assert "refused: another deploy (pid " in refused.stdout
        assert "--force" in refused.stdout
        # Workers are left out: each reload replaces them anyway.
        assert all(is_alive(pid, ticks) for name, (pid, ticks) in pids.items()
                   if not name.startswith("nginx worker"))

        forced = project.run("stop", "--force")
        out, _ = deploy.communicate(timeout=30)
        print(out)
    finally:
        if deploy.poll() is None:
            deploy.kill()
            deploy.communicate(timeout=10)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "sending it SIGTERM" in forced.stdout
    assert deploy.returncode == 1
    assert "deploy interrupted" in out
    still = {name: pid for name, (pid, ticks) in pids.items() if is_alive(pid, ticks)}
    assert still == {}
    assert_port_free(project.port)
    assert history(project)[-1]["outcome"] == "aborted"


def test_stop_closes_an_orphaned_paused_rollout_in_the_history(
    deployed: tuple[Project, str],
) -> None:
    project, _ = deployed
    project.write_config(inconclusive_limit=1)
    project.commit("v2")
    deploy = project.popen("deploy")  # no traffic: paused with both versions up
    project.wait_state(lambda s: (s.get("rollout") or {}).get("status") == "paused")
    lease = json.loads((project.work_dir / "supervisor.lease").read_text().strip("\0 \n"))
    assert start_ticks(lease["pid"]) == lease["start_ticks"]
    os.kill(lease["pid"], signal.SIGKILL)  # nobody watches the paused rollout any more
    deploy.communicate(timeout=10)
    pids = running_pids(project)
    assert "canary" in pids
    result = project.run("stop")
    assert result.returncode == 0, result.stdout
    assert "recorded as aborted" in result.stdout
    assert not any(is_alive(pid, ticks) for pid, ticks in pids.values())
    row = history(project)[-1]
    assert row["outcome"] == "aborted"
    assert "stopped by `pyramid stop` at 5% (paused)" in row["reason"]


@contextlib.contextmanager
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """A process that is not ours to stop: it stands in for whoever got a recycled pid."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_recycled_pids_in_the_state_and_pid_file_are_never_signalled(repo: Project) -> None:
    with bystander() as other:
        ticks = start_ticks(other.pid)
        assert ticks is not None
        stale = Version("a" * 40, 1, other.pid, "", "", ticks - 1)  # same pid, older process
        save_state(repo.work_dir / "state.json", DeployState(stable=stale))
        pid_file = repo.work_dir / "router" / "split" / "nginx.pid"
        pid_file.parent.mkdir(parents=True)
        pid_file.write_text(f"{other.pid}\n")  # a pid file left by an nginx that died hard
        result = repo.run("stop")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "had already exited; forgotten" in result.stdout
        assert "nothing is running" in result.stdout
        assert other.poll() is None
    assert repo.state()["stable"] is None


def test_stop_without_any_deployment_creates_nothing(repo: Project) -> None:
    result = repo.run("stop")
    assert result.returncode == 0
    assert "nothing is running" in result.stdout
    assert not repo.work_dir.exists()


# -- a version is every process carrying its marks (hostile case 328) -----------------------------
#: a start command's wrapper: a worker in a session of its own (a queue consumer, a cache
#: warmer), carrying the version's environment, then the app itself
WITH_WORKER = """\
import os, subprocess, sys
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                          start_new_session=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
with open(os.path.join(os.environ["SAMPLE_APP_PID_DIR"], f"{worker.pid}.pid"), "w") as f:
    f.write("worker " + os.environ["PORT"])  # the fixture's teardown kills it whatever happens
os.execv(sys.argv[1], sys.argv[1:])
"""


def workers(project: Project) -> dict[int, tuple[str, int | None]]:
    """The live workers the versions started: pid -> (the version's port, start time)."""
    found: dict[int, tuple[str, int | None]] = {}
    folder = Path(project.env["SAMPLE_APP_PID_DIR"])
    for path in folder.glob("*.pid"):
        text = path.read_text()
        pid = int(path.stem)
        if text.startswith("worker ") and is_alive(pid):
            found[pid] = (text.split()[1], start_ticks(pid))
    return found


def test_a_versions_worker_in_its_own_session_ends_with_the_version(
    project: Project, tmp_path: Path
) -> None:
    script = tmp_path / "with_worker.py"
    script.write_text(WITH_WORKER)
    # the version's processes are the point, not the canary's steps: one step (ONE_STEP)
    project.write_config(command=f"{sys.executable} {script} {app_command()}", steps=[100])
    project.commit("v1")
    assert project.run("deploy").returncode == 0
    first = workers(project)
    assert len(first) == 1
    project.commit("v2")
    with Clients(project.url) as clients:  # the canary's steps are judged on real traffic
        clients.wait_for(30)
        replaced = project.run("deploy")
    assert replaced.returncode == 0, replaced.stdout
    assert not any(is_alive(pid, ticks) for pid, (_, ticks) in first.items())
    second = workers(project)
    assert len(second) == 1
    # the version's leader dies on its own, its worker does not, and no record is left to
    # name either (state and registry lost): the worker is found by its marks alone
    stable = project.state()["stable"]
    os.kill(stable["pid"], signal.SIGKILL)
    (project.work_dir / "state.json").unlink()
    for record in (project.work_dir / "registry").glob("*.json"):
        record.unlink()
    result = project.run("stop")
    assert result.returncode == 0, result.stdout
    assert "carrying the marks" in result.stdout
    assert "nothing of" in result.stdout.splitlines()[-1]
    assert not any(is_alive(pid, ticks) for pid, (_, ticks) in second.items())


# -- the previous release is the history's (hostile case 331) -----------------------------------
@ONE_STEP
@pytest.mark.parametrize("lost", ["deleted", "emptied"])
def test_rollback_after_a_lost_state_returns_to_the_release_the_history_holds(
    deployed: tuple[Project, str], lost: str
) -> None:
    project, first = deployed
    one_step(project)
    second = project.commit("v2")
    # the canary's steps and the rollback target are judged on real traffic
    with Clients(project.url) as clients:
        clients.wait_for(30)
        assert project.run("deploy").returncode == 0
        state = project.work_dir / "state.json"
        if lost == "deleted":
            state.unlink()
        else:
            state.write_text("")
        status = project.run("status")
        assert f"previous: {first[:12]}" in status.stdout, status.stdout
        rolled = project.run("rollback", "--by", "ops")
        assert rolled.returncode == 0, rolled.stdout
    assert project.state()["stable"]["commit"] == first
    row = history(project)[-1]
    assert (row["kind"], row["outcome"], row["commit_sha"]) == ("rollback", "succeeded", first)
    assert history(project)[-2]["reverted_by"] == row["id"]
    assert second != first
