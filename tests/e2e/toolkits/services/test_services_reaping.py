"""A run killed with SIGKILL leaves its servers (and its databases on a URL's server) behind;
the next run reaps them: 0 orphan processes, folders or databases. pytest is really killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.toolkits.services.test_services_fixtures import (
    CONFTEST,
    SCHEMA,
    SERVICES,
    needs_binaries,
    outside_server,  # noqa: F401 (a fixture)
    pyramid_databases,
)

if TYPE_CHECKING:
    from pytest_pyramid.toolkits.services.servers import PostgresServer
    from tests.conftest import MakeProject

pytestmark = needs_binaries

HANGS = """
    import os
    import time

    def test_hang(request, pyramid_postgres, pyramid_postgres_server, pyramid_redis_server):
        notes = request.config.rootpath / "notes"
        notes.mkdir(exist_ok=True)
        pg, rd = pyramid_postgres_server.local, pyramid_redis_server.local
        (notes / f"pids-{os.getpid()}").write_text(
            f"{pg.process.pid if pg else ''} {rd.process.pid} "
            f"{pg.folder if pg else ''} {rd.folder}")
        # bounded: the test ends by itself if nobody kills it
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            time.sleep(0.2)
"""
QUICK = "def test_quick():\n    pass\n"
#: generous: the machine is shared and slow; nothing here is judged by how long it took
DEADLINE_S = 300


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return True
    return state == "Z"


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS"))}


def kill_a_run(project: Path, workers: list[str], env: dict[str, str]) -> list[str]:
    """Start pytest, wait for the hanging test to have its servers, SIGKILL the whole run
    (its process group: the controller and its workers), return the notes."""
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", *workers, "tests/test_hang.py"], cwd=project, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not list(project.glob("notes/pids-*")):
            assert run.poll() is None, "the run ended before its test hung"
            assert time.monotonic() < deadline, "the hanging test never got its servers"
            time.sleep(0.2)
        time.sleep(0.2)  # the note is written in one call; let it land whole
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        group_dead(run.pid)
    return next(project.glob("notes/pids-*")).read_text().split()


def group_dead(pgid: int) -> None:
    """Until every process of the killed run (its xdist workers too) is dead or a zombie: a
    SIGKILL is delivered at once but a loaded machine may take a moment to finish the exit;
    the servers it started were in their own sessions and stay."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        members = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(stat.parent.name)
        if not members:
            return
        assert time.monotonic() < deadline, f"the killed run's processes {members} never ended"
        time.sleep(0.1)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_the_next_run_reaps_what_a_killed_run_left(
    pytester: pytest.Pytester, make_project: MakeProject, workers: list[str],
) -> None:
    project = make_project(SERVICES, **{"conftest.py": CONFTEST, "db/001.sql": SCHEMA,
                                        "tests/test_hang.py": HANGS,
                                        "tests/test_quick.py": QUICK})
    pg_pid, redis_pid, pg_folder, redis_folder = kill_a_run(project, workers, child_env())
    records = project / ".pyramid" / "services"
    # the kill really left orphans: the servers outlive pytest, recorded
    assert not gone(int(pg_pid))
    assert not gone(int(redis_pid))
    assert len(list(records.glob("*.json"))) == 2

    result = pytester.runpytest_subprocess("tests/test_quick.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*pyramid: reaped what a killed run left*",
                                 f"*postgres server pid {pg_pid} *",
                                 f"*redis server pid {redis_pid} *"])
    assert gone(int(pg_pid))
    assert gone(int(redis_pid))
    assert not Path(pg_folder).exists()
    assert not Path(redis_folder).exists()
    assert list(records.glob("*.json")) == []


def test_databases_a_killed_run_left_on_a_url_server_are_dropped(
    pytester: pytest.Pytester, make_project: MakeProject, outside_server: PostgresServer,  # noqa: F811
) -> None:
    project = make_project(SERVICES, **{"conftest.py": CONFTEST, "db/001.sql": SCHEMA,
                                        "tests/test_hang.py": HANGS,
                                        "tests/test_quick.py": QUICK})
    env = {**child_env(), "PYRAMID_POSTGRES_URL": outside_server.url}
    kill_a_run(project, [], env)
    left = pyramid_databases(outside_server)
    assert len(left) == 2  # the template and the test's clone, orphaned

    result = pytester.runpytest_subprocess("tests/test_quick.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*2 database(s) pyramid_*"])
    assert pyramid_databases(outside_server) == []


def dead_pid() -> int:
    """The pid of a process that has exited (and been waited for)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_reaping_never_signals_a_stranger_nor_a_live_owners_server(tmp_path: Path) -> None:
    """A reused pid (another program now) is not ours: never signalled. A record whose owner
    still runs (a concurrent run) is not touched at all."""
    from pytest_pyramid.toolkits.services.records import (
        process_start,
        reap,
        write_record,
    )

    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        records = tmp_path / "records"
        folder = tmp_path / "left"
        folder.mkdir()
        entry = {"kind": "postgres", "pid": stranger.pid, "start": process_start(stranger.pid),
                 "marker": "/dev/shm/pyramid-pg-gone/data", "folder": str(folder), "port": 1}
        path = write_record(records, "stranger", entry)
        live = write_record(records, "live", {**entry, "folder": str(tmp_path / "live")})
        # the stranger's record: its owner died (a pid that has exited)
        path.write_text(path.read_text().replace(f'"owner_pid": {os.getpid()}',
                                                 f'"owner_pid": {dead_pid()}'))
        done = reap(records, lambda url, prefix: 0)
        assert stranger.poll() is None  # not signalled: its command line is not the record's
        assert done == [f"folder {folder}"]
        assert not path.exists()
        assert live.exists()  # its owner (this process) lives
    finally:
        stranger.kill()
        stranger.wait()
