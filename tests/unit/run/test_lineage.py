"""Which live recording run started a process, from the host's facts (``run/lineage.py``): the
``ppid`` chain of ``/proc`` with each process's start time, and the run file the run wrote in
its own spool folder. Edge rows over a fake ``/proc`` reader; real rows with this process,
its parent and a real child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.lineage import (
    RUN_FILE,
    is_ancestor,
    live_run,
    process_start,
    read_run_file,
    stat_fields,
    write_run_file,
)

if TYPE_CHECKING:
    from pathlib import Path


def stat_text(pid: int, parent: int, start: int, name: str = "python3") -> str:
    """A ``/proc/<pid>/stat`` line: pid, (comm), state, ppid, 16 more fields, start time."""
    return f"{pid} ({name}) S {parent} " + " ".join(["0"] * 17) + f" {start} 0 0\n"


#: a process tree: pid -> (parent, start time); 40 runs pytest, 30 is a shell under it, 20 a
#: Python child of the shell, 10 the process asking
TREE = {1: (0, 5), 40: (1, 400), 30: (40, 300), 20: (30, 200), 10: (20, 100), 50: (1, 500)}


def reader(tree: dict[int, tuple[int, int]], name: str = "python3"):  # type: ignore[no-untyped-def]
    def read(pid: int) -> str | None:
        entry = tree.get(pid)
        return None if entry is None else stat_text(pid, entry[0], entry[1], name)
    return read


@pytest.mark.parametrize(("tree", "pid", "start", "expected"), [
    (TREE, 10, 100, True),  # the process itself (pytester's in-process run)
    (TREE, 20, 200, True),  # its parent
    (TREE, 40, 400, True),  # through a shell
    (TREE, 1, 5, True),
    (TREE, 40, 401, False),  # the pid reused by a later process
    (TREE, 50, 500, False),  # alive, but a sibling branch (another job's run)
    (TREE, 60, 600, False),  # no such process
    ({k: v for k, v in TREE.items() if k != 30}, 40, 400, False),  # a gap in the chain
    ({10: (20, 100), 20: (10, 200)}, 40, 400, False),  # a loop ends
    ({10: (10, 100)}, 40, 400, False),  # its own parent
    ({}, 10, 100, False),  # no /proc: not Linux
])
def test_a_run_is_an_ancestor_only_with_its_pid_and_start_time_on_the_chain(
    tree: dict[int, tuple[int, int]], pid: int, start: int, expected: bool,
) -> None:
    assert is_ancestor(pid, start, 10, reader(tree)) is expected


@pytest.mark.parametrize(("text", "expected"), [
    (stat_text(7, 3, 99), (3, 99)),
    # the command name may hold spaces and parentheses: fields count after the last ")"
    (stat_text(7, 3, 99, name="a) S 1 2 (b"), (3, 99)),
    (stat_text(7, 3, 99, name="x y"), (3, 99)),
    ("7 (python3) S 3 0 0", None),  # too short
    ("7 python3 S 3 " + " ".join(["0"] * 17) + " 99", None),  # no command name
    ("7 (python3) S three " + " ".join(["0"] * 17) + " 99", None),
    ("", None),
])
def test_the_stat_line_is_read_after_the_command_name(
    text: str, expected: tuple[int, int] | None
) -> None:
    assert stat_fields(text) == expected


def spool_of(tmp_path: Path, mode: int = 0o700) -> str:
    spool = tmp_path / "pyramid-forks-x"
    spool.mkdir(mode=mode)
    spool.chmod(mode)
    return str(spool)


def test_the_run_file_is_this_process_and_its_scope(tmp_path: Path) -> None:
    spool = spool_of(tmp_path)
    write_run_file(spool, {"packages": ["mypkg"]})
    write_run_file(spool, {"packages": ["mypkg", "other"]})  # replaced whole
    record = read_run_file(spool)
    assert record == {"packages": ["mypkg", "other"], "pid": os.getpid(),
                      "start": process_start(os.getpid())}
    assert os.listdir(spool) == [RUN_FILE]  # no temporary left
    assert (os.stat(os.path.join(spool, RUN_FILE)).st_mode & 0o777) == 0o600


@pytest.mark.parametrize("damage", [
    "missing", "not-json", "a-list", "symlink", "folder-writable-by-others",
    "file-writable-by-others", "not-this-users",
])
def test_a_run_file_not_the_runs_own_is_none(tmp_path: Path, damage: str) -> None:
    spool = spool_of(tmp_path, 0o777 if damage == "folder-writable-by-others" else 0o700)
    path = os.path.join(spool, RUN_FILE)
    write_run_file(spool, {"packages": []})
    if damage == "missing":
        os.unlink(path)
    elif damage == "not-json":
        with open(path, "w") as out:
            out.write("{")
    elif damage == "a-list":
        with open(path, "w") as out:
            out.write("[]")
    elif damage == "symlink":
        os.rename(path, str(tmp_path / "elsewhere.json"))
        os.symlink(str(tmp_path / "elsewhere.json"), path)
    elif damage == "file-writable-by-others":
        os.chmod(path, 0o666)
    elif damage == "not-this-users":
        assert read_run_file(spool, uid=os.geteuid() + 1) is None
        return
    assert read_run_file(spool) is None


def test_live_run_is_the_host_word_for_this_process_its_parent_and_not_a_child(
    tmp_path: Path,
) -> None:
    """Real rows: this process and its parent are live ancestors; a live child is not; nor is
    this process's pid with another start time."""
    spool = spool_of(tmp_path)
    path = os.path.join(spool, RUN_FILE)
    write_run_file(spool, {})
    assert live_run(spool) is not None
    with open(path) as source:
        me = json.load(source)

    def named(pid: int, start: object) -> dict[str, object] | None:
        with open(path, "w") as out:
            json.dump({"pid": pid, "start": start}, out)
        return live_run(spool)

    assert named(os.getppid(), process_start(os.getppid())) is not None
    assert named(os.getpid(), me["start"] + 1) is None
    assert named(os.getpid(), True) is None  # a bool is not a start time
    assert named(os.getpid(), None) is None
    child = subprocess.Popen(["sleep", "120"])
    try:
        assert named(child.pid, process_start(child.pid)) is None
    finally:
        child.kill()
        child.wait()


def test_a_real_child_process_finds_the_run_that_started_it(tmp_path: Path) -> None:
    """A real child (the run's value given as its argument: its environment is the run's, so
    it stays followed) is started by this process, which the run file names."""
    spool = spool_of(tmp_path)
    write_run_file(spool, {})
    program = ("import sys; from pytest_pyramid.run.invocation import started_by_run; "
               "print(started_by_run(sys.argv[1]))")
    found = subprocess.run([sys.executable, "-c", program, json.dumps({"spool": spool})],
                           capture_output=True, text=True, check=True, timeout=120)
    assert found.stdout.strip() == "True", found.stderr


@pytest.mark.parametrize(("run_file", "reports"), [
    # the run's word wins: a value edited on the way (a shell script's `packages: []`)
    # cannot shrink what the child records (hostile case 202's fix, round 9's target)
    ({"packages": ["lin_pkg"]}, {"lin_pkg"}),
    ({"packages": ["lin_pkg", "other"]}, {"lin_pkg", "other"}),
    # no run file (a folder no run absorbs): the variable's own, judged by no one
    (None, set()),
])
def test_a_followed_child_takes_its_scope_from_the_runs_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_file: dict[str, object] | None,
    reports: set[str],
) -> None:
    from pytest_pyramid.run.imported import _CHILD, follow_child

    spool = spool_of(tmp_path)
    scope = {"root": str(tmp_path), "project": str(tmp_path), "started_ns": 0,
             "facts_root": str(tmp_path)}
    if run_file is not None:
        write_run_file(spool, {**scope, **run_file})
    monkeypatch.setattr(sys, "orig_argv", ["python", "-c", "import lin_pkg"])  # not pytest
    child = follow_child(json.dumps({**scope, "spool": spool, "packages": []}))
    assert child is not None
    try:
        assert set(child.reports) == reports
    finally:
        child.uninstall()
        _CHILD.remove(child)
