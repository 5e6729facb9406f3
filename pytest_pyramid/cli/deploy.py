"""The deploy module's commands (``deploy``, ``status``, ``rollback`` ...), when it is there."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_pyramid.cli._common import Commands


def add(commands: Commands) -> None:
    try:
        from pytest_pyramid.deploy.cli import add_commands
    except ImportError:
        pass
    else:
        add_commands(commands)
