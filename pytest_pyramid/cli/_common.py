"""What every ``pyramid`` command shares: exit codes, the one-line usage error, printing."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from pytest_pyramid.durations import parse_duration
from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    #: what a command's ``add`` receives: argparse's own type (deploy adds its commands too)
    Commands = argparse._SubParsersAction[Any]

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_NEEDS_APPROVAL = 2
EXIT_UNUSABLE = 3
#: the reader of stdout went away (``pyramid status --json | head -1``): the shell's status for
#: a command SIGPIPE ended (128 + 13), as ``yes | head -1`` gives; never 0, since what the
#: command had to say was not all read
EXIT_CLOSED_PIPE = 141
DECISION_EXIT = {
    "ready": EXIT_READY,
    "blocked": EXIT_NOT_READY,
    "incomplete": EXIT_NOT_READY,
    "needs_approval": EXIT_NEEDS_APPROVAL,
}


class UsageFailure(PyramidError):
    """Bad input to a command: printed and turned into exit code 3."""


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (exit 3, from :func:`main`) instead of the
    usage block and exit 2. Subcommand parsers are of the same class."""

    def error(self, message: str) -> NoReturn:
        raise UsageFailure(f"{self.prog}: {message} (see {self.prog} --help)")


def _duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def reader_gone() -> bool:
    """Whether the pipe on stdout has lost its reader. The kernel flags its write end (POLLERR)
    then; a BrokenPipeError from elsewhere (a child's stdin) leaves stdout unflagged."""
    import select

    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # no real file behind it (an in-process test's capture)
        return False
    poller = select.poll()
    poller.register(fd, 0)
    return any(event & select.POLLERR for _, event in poller.poll(0))


def quit_quietly() -> int:
    """Nothing more can reach a reader that went away: what is still buffered goes to
    /dev/null, so the interpreter's last flush does not print a BrokenPipeError either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_CLOSED_PIPE


def _print(text: str, *, err: bool = False) -> None:
    """Print what a verdict says even when the terminal cannot encode it."""
    stream = sys.stderr if err else sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "replace").decode(encoding, "replace") + "\n")



def _default_verdict() -> str:
    """The deploy's verdict: ``[tool.pyramid.deploy] verdict``, else ``[tool.pyramid]
    verdict`` of the project (the loader's), else the plugin's default (one rule for all)."""
    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.errors import ConfigError

    try:
        return str(load_config(None).verdict)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None



def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value



def _project(given: str | None) -> Any:
    """The project ``pyramid config check`` reads: a file, a project directory, or (without
    a path) the nearest project at or above the current directory."""
    from pathlib import Path

    from pytest_pyramid.project import load
    from pytest_pyramid.run._git import tree_files

    # `source` resolved against the tree, as the run resolves it (config.py: source_path)
    return load(config=Path(given) if given is not None else None, tree=tree_files)

