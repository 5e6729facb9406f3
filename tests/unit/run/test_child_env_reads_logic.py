"""A followed child's variable reads (hostile case 344, ``run/child.py``): noted as the run's
own process notes them, spooled as ``[ENV_READ, name, file]`` lines, absorbed by the run's
recorder, handed on by a nested run, and judged by the run's own sink. A line that does not
say which name and file is missing evidence, never a pass."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run import child, env_reads
from pytest_pyramid.run.child import SpoolingSink
from pytest_pyramid.run.imported import (
    ENV_READ,
    ENV_READ_UNREADABLE,
    ImportRecorder,
)
from pytest_pyramid.run.unfollowed import UNREPORTED_KEY

if TYPE_CHECKING:
    from pathlib import Path

OWN, THEIRS = "/repo/mypkg/cli.py", "/env/lib/python3/site-packages/click/core.py"


def _own(path: str) -> str | None:
    return path if path.startswith("/repo/") else None


@pytest.mark.parametrize(
    ("reads", "started", "handed"),
    [
        # hostile 344 b: the project's CLI reads a job's variable: handed on with its reader
        ([("MYPKG_LENIENT", OWN)], {"MYPKG_LENIENT": "1"}, [("MYPKG_LENIENT", OWN)]),
        # read twice, by two files: once (the first read decides nothing more)
        ([("MYPKG_LENIENT", OWN), ("MYPKG_LENIENT", "/repo/b.py")], {"MYPKG_LENIENT": "1"},
         [("MYPKG_LENIENT", OWN)]),
        # an installed library's read is the table's, not the project's
        ([("CLICK_DEBUG", THEIRS)], {"CLICK_DEBUG": "1"}, []),
        # not in the child's starting environment: the test's own default, no job's
        ([("MYPKG_LENIENT", OWN)], {}, []),
        # code compiled from a string (``python -c``): the project's, as in the run (343)
        ([("MODE", "<string>")], {"MODE": "x"}, [("MODE", "<string>")]),
        # the library first, then the project: the project's read is handed on
        ([("MODE", THEIRS), ("MODE", OWN)], {"MODE": "x"}, [("MODE", OWN)]),
    ],
)
def test_a_followed_childs_reads_are_noted_as_the_runs(
    reads: list[tuple[str, str]], started: dict[str, str], handed: list[tuple[str, str]],
) -> None:
    lines: list[list[Any]] = []
    sink = SpoolingSink(_own, started, lines.append)
    for name, caller in reads:
        sink.note(name, caller)
    assert lines == [[ENV_READ, name, caller] for name, caller in handed]


def test_a_childs_read_of_the_raw_table_hands_every_name_it_started_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``os.environ.values()`` by the project's code in a child: every name present counts
    (``env_reads._read_everything``), through the spooling sink too."""
    monkeypatch.setenv("CHILD_RAW_A", "1")
    monkeypatch.setenv("CHILD_RAW_B", "")
    lines: list[list[Any]] = []
    sink = SpoolingSink(lambda path: path if path == __file__ else None,
                        {"CHILD_RAW_A": "1"}, lines.append)
    env_reads.start(sink)
    try:
        assert "1" in os.environ.values()
    finally:
        env_reads.stop(sink)
    assert [ENV_READ, "CHILD_RAW_A", __file__] in lines
    assert "CHILD_RAW_B" in sink.names  # noted, but set by no job: not handed on
    assert all(line[1] != "CHILD_RAW_B" for line in lines)


def _spooled(spool: Path, *lines: object) -> None:
    spool.mkdir(exist_ok=True)
    (spool / "7.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


@pytest.mark.parametrize(
    ("line", "absorbed", "unverifiable"),
    [
        ([ENV_READ, "MYPKG_LENIENT", OWN], {("MYPKG_LENIENT", OWN)}, False),
        # malformed: which variable or which reader is not said: never a pass
        ([ENV_READ, 3, OWN], set(), True),
        ([ENV_READ, "MYPKG_LENIENT", None], set(), True),
    ],
)
def test_the_run_absorbs_a_childs_reads(
    tmp_path: Path, line: list[Any], absorbed: set[tuple[str, str]], unverifiable: bool,
) -> None:
    run = ImportRecorder(str(tmp_path / "repo"), environment=())
    run.spool = str(tmp_path / "spool")
    _spooled(tmp_path / "spool", line)
    run.absorb_forks()
    assert run.env_read == absorbed
    assert (run.seen.unverifiable.get(UNREPORTED_KEY) == ENV_READ_UNREADABLE) is unverifiable


def test_a_nested_run_hands_its_childrens_reads_on(tmp_path: Path) -> None:
    """A pytest run a test starts: its children spooled to it, it reports them to the run
    that started it, which judges each read again by its own scope (its sink)."""
    nested = ImportRecorder(str(tmp_path / "inner"), environment=())
    nested.spool = str(tmp_path / "inner-spool")
    nested.parent_spool = str(tmp_path / "outer-spool")
    (tmp_path / "outer-spool").mkdir()
    _spooled(tmp_path / "inner-spool", [ENV_READ, "MYPKG_LENIENT", OWN])
    nested.absorb_forks()
    nested.report_to_parent()
    outer = ImportRecorder(str(tmp_path / "repo"), environment=())
    outer.spool = str(tmp_path / "outer-spool")
    outer.absorb_forks()
    assert outer.env_read == {("MYPKG_LENIENT", OWN)}
    judged = env_reads.Sink(_own)
    for name, caller in outer.env_read:
        judged.note(name, caller)
    assert judged.names == {"MYPKG_LENIENT"}


def test_a_forked_childs_reads_reach_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``multiprocessing``'s ``fork``: the child's memory dies with it (``os._exit``), so its
    reads are spooled; the names the run already held are not sent again."""
    monkeypatch.setenv("FORKED_MODE", "1")
    monkeypatch.setenv("READ_BEFORE", "1")
    run = ImportRecorder(str(tmp_path / "repo"), environment=())
    run.spool = str(tmp_path / "spool")
    (tmp_path / "spool").mkdir()
    sink = env_reads.Sink(lambda path: path if path == __file__ else None)
    env_reads.start(sink)
    child.follow_forks(sink, run)
    try:
        os.environ.get("READ_BEFORE")
        pid = os.fork()
        if pid == 0:  # the child: read, then die without any cleanup
            try:
                os.environ.get("FORKED_MODE")
                os.environ.get("READ_BEFORE")
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    finally:
        child.unfollow_forks(sink)
        env_reads.stop(sink)
    assert sink.names == {"READ_BEFORE"}
    run.absorb_forks()
    assert run.env_read == {("FORKED_MODE", __file__)}
