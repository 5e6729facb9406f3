"""A deploy command's umask is the host's (hostile case 276): the caller's `umask 000` made the
state, the job and the release writable by `run_as`."""

from __future__ import annotations

import argparse
import os

import pytest

from pytest_pyramid.cli import build_parser
from pytest_pyramid.deploy.cli import host_umask

DEPLOY_COMMANDS = ("deploy", "supervise", "approve", "status", "abort", "promote", "rollback",
                   "stop", "stats")  # `history` (cli/history.py) only reads


@pytest.mark.parametrize(("caller", "inside"), [
    (0o000, 0o022),  # the attack: nothing masked
    (0o002, 0o022),  # a group-writable habit
    (0o022, 0o022),
    (0o027, 0o027),  # a stricter caller stays stricter
    (0o077, 0o077),
])
def test_a_deploy_command_never_grants_write_to_group_or_others(caller: int, inside: int) -> None:
    seen: list[int] = []

    def command(args: argparse.Namespace) -> int:
        mask = os.umask(0)
        os.umask(mask)
        seen.append(mask)
        return 0

    old = os.umask(caller)
    try:
        assert host_umask(command)(argparse.Namespace()) == 0
    finally:
        os.umask(old)
    assert seen == [inside]


def test_every_deploy_command_runs_under_the_host_umask() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name in DEPLOY_COMMANDS:
        assert getattr(commands.choices[name].get_default("func"), "host_umask", False), name
