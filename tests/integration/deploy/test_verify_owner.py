"""A verify run never outlives its owner (deploy/verify_owner.py), with real processes: the
supervisor that started a run is killed with SIGKILL, the run's pytest dies with it, and what
the run left (a server a test started in a session of its own) is ended by the next owner of
the work folder and by ``pyramid stop``; a process of another work folder is left alone.
Every wait polls with a generous deadline: nothing here depends on timing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.config import build_config
from pytest_pyramid.deploy.processes import is_alive
from pytest_pyramid.deploy.service import _lease
from pytest_pyramid.deploy.verify_owner import marked

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

PYPROJECT = """\
[tool.pytest.ini_options]
addopts = "-p no:schemathesis -p no:locust -p no:pact -p no:playwright \
-p no:anyio -p no:platformdirs"
[tool.pyramid.tiers.smoke]
paths = ["tests/smoke"]
[tool.pyramid.deploy]
work_dir = "work"
"""
# the server a test starts in a session of its own: outside the run's process group
SMOKE = """\
import os, subprocess, sys, time


def test_starts_a_server_and_runs_on():
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                              start_new_session=True)
    with open(os.environ["VERIFY_SERVER_PID"] + ".tmp", "w") as handle:
        handle.write(str(server.pid))
    os.replace(os.environ["VERIFY_SERVER_PID"] + ".tmp", os.environ["VERIFY_SERVER_PID"])
    time.sleep(600)
"""
# the supervisor's part: start the each-step run, say its pid, and wait to be killed
SUPERVISOR = """\
import sys, time
from pathlib import Path
from pytest_pyramid.deploy.config import VerifySettings
from pytest_pyramid.deploy.verify import Running

project, pid_file = Path(sys.argv[1]), Path(sys.argv[2])
running = Running.start(VerifySettings("smoke", ("each-step",), 600.0), phase="each-step",
                        url="http://127.0.0.1:9", root=project,
                        out_dir=project / "work" / "verify" / "1", name="each-step-1")
pid_file.write_text(str(running.process.pid))
time.sleep(600)
"""
DEADLINE_S = 120.0


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "tests" / "smoke").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "tests" / "smoke" / "test_smoke.py").write_text(SMOKE)
    return root


@pytest.fixture
def sweep() -> Iterator[list[int]]:
    """Pids this test started or caused: whatever a failed assertion left is killed."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def poll(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE_S:.0f}s: {what}"
        time.sleep(0.05)


def test_a_verify_run_dies_with_its_supervisor_and_the_next_owner_ends_what_it_left(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sweep: list[int],
) -> None:
    run_file, server_file = tmp_path / "run.pid", tmp_path / "server.pid"
    monkeypatch.setenv("VERIFY_SERVER_PID", str(server_file))
    output = tmp_path / "supervisor.log"
    with output.open("wb") as log:
        supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISOR, str(project),
                                       str(run_file)], stdout=log, stderr=subprocess.STDOUT)
    sweep.append(supervisor.pid)
    poll(lambda: server_file.exists() or supervisor.poll() is not None,
         "the verify run's test started its server")
    assert supervisor.poll() is None, output.read_text()
    run, server = int(run_file.read_text()), int(server_file.read_text())
    sweep += [run, server]
    assert is_alive(run)

    supervisor.kill()  # SIGKILL: no handler, no cleanup of its own
    supervisor.wait()
    poll(lambda: not is_alive(run), f"the verify run's pytest (pid {run}) died with its owner")
    # nothing kills the server but an owner: the run's own death cannot reach its session
    assert is_alive(server)

    config = build_config({"work_dir": "work"}, source="pyproject.toml", root=project)
    said: list[str] = []
    with _lease(config, "resume", said.append):  # what a resumed supervisor takes first
        assert not is_alive(server)
    assert len(said) == 1
    assert said[0].startswith("[verify] ended 1 process(es) of a verify run no supervisor "
                              f"owns any more (pid {server})")


def test_pyramid_stop_ends_a_verify_run_of_its_work_folder_only(
    project: Path, tmp_path: Path, sweep: list[int],
) -> None:
    def sleeper(out_dir: Path) -> subprocess.Popen[bytes]:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                 env=marked(os.environ, out_dir), start_new_session=True)
        sweep.append(child.pid)
        return child

    ours = sleeper(project / "work" / "verify" / "3")
    (project / "work" / "verify" / "3").mkdir(parents=True)
    theirs = sleeper(tmp_path / "elsewhere" / "work" / "verify" / "3")
    stopped = subprocess.run(
        [str(Path(sys.executable).with_name("pyramid")), "stop", "--config",
         str(project / "pyproject.toml")], capture_output=True, text=True, timeout=300,
        check=False)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert (f"[stop] ended 1 process(es) of a verify run no supervisor owns any more (pid "
            f"{ours.pid})") in stopped.stdout
    assert ours.wait(timeout=DEADLINE_S) == -signal.SIGKILL
    assert theirs.poll() is None  # another work folder's run: not this stop's
    theirs.kill()
    theirs.wait()
