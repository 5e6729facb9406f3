"""The ``pyramid`` command: read a verdict (``check``), sign it (``attest``) and, through the
deploy module, ship it.

Exit codes: 0 ready / done, 1 blocked or incomplete, 2 needs approval, 3 unusable input, 141
when the reader of stdout went away (``pyramid status --json | head -1``: quiet, as SIGPIPE).
Every failure is one line on stderr naming the file and the problem, never a traceback.

One module per command, each with ``add(commands)`` (its parser, its ``func``); ``COMMANDS``
lists them in the order ``pyramid --help`` shows them. Adding a command is a module here and
one line in that table.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from pytest_pyramid.cli import (
    attest,
    check,
    config,
    deploy,
    flaky,
    history,
    init,
    keygen,
    launcher,
    merge,
    report,
)
from pytest_pyramid.cli._common import (
    DECISION_EXIT,
    EXIT_NEEDS_APPROVAL,
    EXIT_NOT_READY,
    EXIT_READY,
    EXIT_UNUSABLE,
    UsageFailure,
    _default_verdict,
    _Parser,
    _print,
    quit_quietly,
    reader_gone,
)
from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from pytest_pyramid.cli._common import Commands

__all__ = ["COMMANDS", "DECISION_EXIT", "EXIT_NEEDS_APPROVAL", "EXIT_NOT_READY", "EXIT_READY",
           "EXIT_UNUSABLE", "UsageFailure", "build_parser", "main"]

#: every command's ``add``, in the order of ``pyramid --help``; ``history`` comes after
#: ``deploy``, whose own ``history`` command it extends with ``--runs``
COMMANDS: tuple[Callable[[Commands], None], ...] = (
    check.add,
    attest.add,
    init.add,
    config.add,
    keygen.add,
    merge.add,
    report.add,
    deploy.add,
    history.add,
    flaky.add,
    launcher.add,
)


def build_parser() -> argparse.ArgumentParser:
    from pytest_pyramid import __version__

    parser = _Parser(prog="pyramid", description="Read a pytest-pyramid verdict and act on it.")
    parser.add_argument("--version", action="version", version=f"pyramid {__version__}")
    # typed as argparse's own: the deploy module adds its commands to it too
    commands: Commands = parser.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Every command, through one entry: a closed pipe on stdout ends any of them quietly."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except BrokenPipeError:
        if not reader_gone():
            raise
        return quit_quietly()
    return code


def _main(argv: Sequence[str] | None) -> int:
    from pytest_pyramid.foreign import problem

    if (clash := problem()) is not None:  # another project's pytest_pyramid: one line
        _print(f"pyramid: {clash}", err=True)
        return EXIT_UNUSABLE
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageFailure as exc:  # _Parser.error: one line, exit 3 (argparse's would be 2)
        _print(str(exc), err=True)
        return EXIT_UNUSABLE
    except SystemExit as exc:  # --help and --version
        status = exc.code if isinstance(exc.code, int) else EXIT_UNUSABLE
        return EXIT_UNUSABLE if status == 2 else status
    try:
        # a command that reads the project's verdict by default says so in its defaults
        if getattr(args, "verdict", "") is None and getattr(args, "verdict_from_project", False):
            args.verdict = _default_verdict()
        code: int = args.func(args)
    except UsageFailure as exc:
        _print(f"pyramid {args.subcommand}: {exc}", err=True)
        return EXIT_UNUSABLE
    except PyramidError as exc:
        _print(f"pyramid {args.subcommand}: {exc}", err=True)
        return EXIT_UNUSABLE
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        if isinstance(exc, BrokenPipeError) and reader_gone():
            raise  # nobody reads any more: main() ends quietly
        # the last line of defence for input nobody foresaw: one line, exit 3, no traceback
        _print(f"pyramid {args.subcommand}: {type(exc).__name__}: {str(exc)[:300]}", err=True)
        return EXIT_UNUSABLE
    return code

