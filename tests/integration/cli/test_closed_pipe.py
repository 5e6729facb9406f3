"""``pyramid status --json | head -1``: when the reader of stdout goes away, every command ends
quietly (exit 141, as a command SIGPIPE ended; nothing on stderr), through the CLI's one entry
(``cli.main``). A BrokenPipeError that is not stdout's (a child's stdin) stays what it was: one
line and exit 3.

The pipe is real and its reader is closed before the command starts: ``head -1`` at its
worst, the same every run, with no race between the reader and the writer.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import EXIT_UNUSABLE, main
from pytest_pyramid.cli._common import EXIT_CLOSED_PIPE, reader_gone

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def pyramid(*words: str, cwd: Path, stdout: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(cwd.parent)}
    return subprocess.run([sys.executable, "-m", "pytest_pyramid", *words], cwd=cwd, env=env,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
                          check=False)


def test_a_command_whose_reader_went_away_ends_quietly(tmp_path: Path) -> None:
    """The case reported, as a process: ``pyramid status --json`` into a closed pipe."""
    read, write = os.pipe()
    os.close(read)
    try:
        closed = pyramid("status", "--json", cwd=tmp_path, stdout=write)
    finally:
        os.close(write)
    assert (closed.returncode, closed.stderr) == (EXIT_CLOSED_PIPE, "")
    # the same command with its reader there: it had something to say, and says it
    read_by_us = pyramid("status", "--json", cwd=tmp_path, stdout=subprocess.PIPE)
    assert read_by_us.returncode == 0, read_by_us.stderr
    assert read_by_us.stdout.strip().startswith("{")


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    try:
        yield read, write
    finally:
        for fd in (read, write):
            with contextlib.suppress(OSError):  # a test closed it already
                os.close(fd)


@pytest.mark.parametrize(
    ("stdout", "gone"),
    [
        ("a pipe read by someone", False),
        ("a pipe whose reader closed it", True),
        ("a file", False),
        ("no file at all (a capture)", False),
    ],
)
def test_reader_gone_only_for_a_pipe_whose_reader_closed_it(
    pipe: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stdout: str,
    gone: bool,
) -> None:
    read, write = pipe
    if stdout == "a pipe whose reader closed it":
        os.close(read)
    stream: io.TextIOBase
    if stdout == "a file":
        stream = open(tmp_path / "out.txt", "w")  # noqa: SIM115
    elif stdout == "no file at all (a capture)":
        stream = io.StringIO()
    else:
        stream = open(write, "w", closefd=False)  # noqa: SIM115
    with stream:
        monkeypatch.setattr(sys, "stdout", stream)
        assert reader_gone() is gone


def test_a_broken_pipe_that_is_not_stdouts_stays_one_line_and_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_pyramid.cli import check

    def child_gone(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")  # e.g. writing to a child's stdin

    monkeypatch.setattr(check, "cmd_check", child_gone)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "v.json"]) == EXIT_UNUSABLE
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["pyramid check: BrokenPipeError: [Errno 32] Broken pipe"]


@pytest.mark.parametrize("words", [("stats", "--json"), ("history",), ("status",)])
def test_every_command_goes_through_the_one_entry_that_ends_quietly(
    pipe: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    words: tuple[str, ...],
) -> None:
    """Other commands, in this process (a process each would cost CI time for the same
    proof): their output into a pipe whose reader closed it."""
    read, write = pipe
    os.close(read)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with open(write, "w", closefd=False) as stream:
        monkeypatch.setattr(sys, "stdout", stream)
        assert main(list(words)) == EXIT_CLOSED_PIPE
