"""``pyramid host-launcher PATH``: the script the host starts every deploy command through.

The installed ``pyramid`` entry point is a console script: its ``#!`` line is the venv's bare
interpreter, so a ``PYTHONPATH`` (a ``sitecustomize``, a shadow ``pytest_pyramid``) in the
caller's environment runs before the deploy's first line (hostile case 221). The launcher is
the same command started with ``-I`` (deploy/isolation.py), written once by the operator.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.cli._common import UsageFailure, _print

if TYPE_CHECKING:
    import argparse

    from pytest_pyramid.cli._common import Commands


def add(commands: Commands) -> None:
    launcher = commands.add_parser(
        "host-launcher", help="write the launcher the host runs every deploy command through "
                              "(this venv's python -I: the caller's PYTHON* variables, user "
                              "site and current folder run nothing inside the deploy)")
    launcher.add_argument("path", help="where to write it, e.g. /usr/local/bin/pyramid-host")
    launcher.add_argument("--python", default=None, metavar="PATH",
                          help="the interpreter of the venv that deploys (default: this one)")
    launcher.add_argument("--force", action="store_true", help="replace an existing file")
    launcher.set_defaults(func=cmd_host_launcher)


def cmd_host_launcher(args: argparse.Namespace) -> int:
    import sys

    from pytest_pyramid._files import write_text_atomic
    from pytest_pyramid.deploy.isolation import launcher_text

    # the venv's own path, not its target: a resolved link would leave the venv's packages
    python = args.python or sys.executable
    if not python or not os.path.isabs(python):
        raise UsageFailure(f"--python {python!r}: expected the absolute path of an interpreter")
    if not os.access(python, os.X_OK):
        raise UsageFailure(f"--python {python}: not an executable file")
    target = Path(args.path)
    if target.exists() and not args.force:
        raise UsageFailure(f"{target}: exists (use --force to replace it)")
    write_text_atomic(target, launcher_text(python), mode=0o755)
    _print(f"launcher {target}: `{target} deploy ...` runs {python} -I (start every deploy "
           f"command and the unit's ExecStart through it)")
    return 0
