"""A valid but wrong state is checked against what runs: a stranger's pid is never signalled, a
port answered by a process the deploy did not start is never routed to, and a wrapper start
command (`sh -c`, a script) leaves nothing behind. Real nginx, real processes."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.deploy.processes import free_port, http_ok, is_alive, start_ticks
from tests.support.deploy.helpers import APP, app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.deploy.helpers import Project


def app_pids(pid_dir: Path) -> set[int]:
    return {int(p.stem) for p in pid_dir.glob("*.pid")}


@contextlib.contextmanager
def stranger(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """An HTTP server nobody's deploy started (no PYRAMID_* in its environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYRAMID_", "PORT"))}
    proc = subprocess.Popen([sys.executable, str(APP), "--port", str(port), "--name", "stranger"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not http_ok(f"http://127.0.0.1:{port}/healthz", 1.0)[0]:
            assert time.monotonic() < deadline, "the stranger never answered"
            time.sleep(0.05)
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_wrapper_start_command_leaves_nothing_after_stop(project: Project) -> None:
    pid_dir = Path(project.env["SAMPLE_APP_PID_DIR"])
    # sh does not exec the app (it waits for it): SIGTERM to sh alone would orphan the app;
    # what stop leaves is the point, not the canary's steps: one step (test_faults.ONE_STEP)
    project.write_config(command=f"sh -c '{app_command()} & wait'", steps=[100])
    first = project.commit("v1")
    assert project.run("deploy").returncode == 0
    with Clients(project.url, rate=60) as clients:
        second = project.commit("v2")
        assert project.run("deploy").returncode == 0
        clients.settle_on(second)
    assert clients.failures == []
    apps = app_pids(pid_dir)
    assert len(apps) == 2  # v1's app, stopped by the deploy of v2, and v2's
    wrapper = project.state()["stable"]["pid"]
    assert wrapper not in apps
    result = project.run("stop")
    assert result.returncode == 0, result.stdout
    assert [pid for pid in apps if is_alive(pid)] == []
    assert not is_alive(wrapper)
    assert first != second


def test_a_strangers_pid_in_a_valid_state_is_never_signalled_nor_routed_to(
    deployed: tuple[Project, str],
) -> None:
    project, first = deployed
    port = free_port()
    with stranger(port) as other:
        state = project.state()
        ticks = start_ticks(other.pid)
        # hand-edited: the stable version's pid, start time and port are the stranger's
        state["stable"].update(pid=other.pid, start_ticks=ticks, port=port)
        (project.work_dir / "state.json").write_text(json.dumps(state))
        status = project.run("status")
        assert status.returncode == 1
        assert f"stable {first[:12]} at 127.0.0.1:{port} (pid {other.pid}) is not running" in \
            status.stdout
        with Clients(project.url, rate=60) as clients:
            second = project.commit("v2")
            result = project.run("deploy")
            assert result.returncode == 0, result.stdout
            clients.settle_on(second)
        assert f"127.0.0.1:{port}" not in "".join(
            p.read_text() for p in (project.work_dir / "router").rglob("*.conf"))
        assert not [r for r in clients.results if r.served == "stranger"]
        state = project.state()
        state["stable"].update(pid=other.pid, start_ticks=ticks, port=port)
        (project.work_dir / "state.json").write_text(json.dumps(state))
        assert project.run("stop").returncode == 0
        assert other.poll() is None  # never signalled
        assert http_ok(f"http://127.0.0.1:{port}/healthz")[0]


def test_a_port_answered_by_a_stranger_is_never_routed_to(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    """The new version's port is taken by a process outside its group and environment (here
    its start command hands the port to a detached server): the deploy refuses it."""
    project, first = deployed
    launcher = tmp_path / "hand_off.py"
    launcher.write_text(
        "import os, subprocess, sys, time\n"
        "env = {k: v for k, v in os.environ.items() if not k.startswith(('PYRAMID_', 'PORT'))}\n"
        f"subprocess.Popen([sys.executable, {str(APP)!r}, '--port', sys.argv[1], '--name',"
        " 'stranger'], env=env, start_new_session=True)\n"
        "time.sleep(120)\n")
    project.write_config(command=f"{sys.executable} {launcher} {{port}}")
    with Clients(project.url, rate=60) as clients:
        project.commit("v2")
        result = project.run("deploy")
        time.sleep(0.5)
    assert result.returncode == 1, result.stdout
    assert "which this deploy did not start" in result.stdout
    assert not [r for r in clients.results if r.served == "stranger"]
    assert clients.failures == []
    assert project.state()["stable"]["commit"] == first
    # the detached stranger is the conftest's to stop (it wrote its pid file like every app)


def test_a_second_target_on_the_same_port_never_stops_the_first_one_s_router(
    deployed: tuple[Project, str], tmp_path: Path
) -> None:
    """Hostile case 228: a deploy with another work folder and the same public port took the
    first target's live edge nginx for an orphan (it listens on "our" port), stopped it, then
    recorded a success it did not serve. Another folder's live router is never ours to stop:
    the second deploy fails its start, naming the port's holder; the first one keeps serving."""
    project, first = deployed
    other = tmp_path / "other-target"
    try:
        result = project.run("deploy", "--work-dir", str(other))
        assert result.returncode != 0, result.stdout
        assert f"127.0.0.1:{project.port} is in use by pid" in result.stdout, result.stdout
        assert "stopped orphaned" not in result.stdout
        assert http_ok(f"{project.url}/healthz", 5.0)[0]
        assert project.state()["stable"]["commit"] == first
    finally:
        project.run("stop", "--force", "--work-dir", str(other))
