"""What a person reads when asking for help: every option of the ``pyramid`` command states
one default, in words (no JSON ``null``), and ``./dev`` names a command it does not know."""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import build_parser

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[3]


def options(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, str]]:
    """(``pyramid COMMAND --option``, its help as argparse prints it) for every option."""
    formatter = parser._get_formatter()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from options(sub, f"{path} {name}")
        elif action.help and action.help != argparse.SUPPRESS:
            name = "/".join(action.option_strings) or action.dest
            yield f"{path} {name}", formatter._expand_help(action)


HELP = list(options(build_parser(), "pyramid"))


def test_every_command_is_walked() -> None:
    commands = {name.split()[1] for name, _ in HELP if len(name.split()) > 2}
    assert {"check", "deploy", "history", "merge", "status", "report"} <= commands


@pytest.mark.parametrize(("option", "text"), HELP, ids=[name for name, _ in HELP])
def test_an_option_states_one_default_in_words(option: str, text: str) -> None:
    assert len(re.findall(r"\bdefault", text, re.IGNORECASE)) <= 1, text
    assert not re.search(r"\b(null|None)\b", text), text


@pytest.mark.parametrize(
    ("option", "default"),
    [
        ("--history", "(default: [tool.pyramid.deploy] history, else <work_dir>/history.sqlite)"),
        ("--steps", "(default: [tool.pyramid.deploy] steps, else 5,25,50,100)"),
        ("--router", "(default: [tool.pyramid.deploy] router, else nginx)"),
        ("--nginx-include", "(default: [tool.pyramid.deploy] nginx_include, else none)"),
    ],
)
def test_a_deploy_option_names_its_key_then_its_built_in_default(
    option: str, default: str
) -> None:
    (text,) = {t for name, t in HELP if name == f"pyramid deploy {option}"}
    assert text.endswith(default)


def test_dev_names_a_command_it_does_not_know() -> None:
    result = subprocess.run(["bash", str(ROOT / "dev"), "foo"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "dev: unknown command 'foo'; the commands are:"
    assert "./dev test" in result.stderr
