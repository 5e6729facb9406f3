"""The deploy host of a test: a folder standing for ``/etc/pyramid`` and the deploy account's
``~/.config/pyramid``.

The host's pins are read from folders the deploying process's environment cannot choose
(pytest_pyramid/deploy/host_pins.py): ``XDG_CONFIG_HOME`` moves nothing, and tests must never
write ``/etc`` or the account's home. So a test's CLI process starts through :func:`argv`, a
launcher that sets ``host_pins.HOST_ROOTS`` in the new process, then calls the CLI's main.
In-process, the pure functions take the folders as ``roots``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: the launcher: argv[1] is the host folder, the rest the pyramid command line
LAUNCH = ("import sys; from pathlib import Path; from pytest_pyramid.deploy import host_pins; "
          "host_pins.HOST_ROOTS = (Path(sys.argv[1]),); from pytest_pyramid.cli import main; "
          "sys.exit(main(sys.argv[2:]))")


def folder(project_root: Path) -> Path:
    """The host folder of the project at ``project_root`` (beside it: one host per test)."""
    return project_root.parent / "host" / "pyramid"


def argv(host: Path, *args: str) -> list[str]:
    """``pyramid *args`` on a host whose pins are in ``host``."""
    return [sys.executable, "-c", LAUNCH, str(host), *args]


def pin(host: Path, text: str, name: str = "deploy.toml") -> Path:
    """Write the host file ``name`` (deploy.toml, trusted_keys) with ``text``."""
    host.mkdir(parents=True, exist_ok=True)
    path = host / name
    path.write_text(text)
    return path
