"""Every ``pyramid`` command answers ``--help``, and every usage error is exit 3 with one line.

The commands are not listed here: they are read from the parser itself (the argparse tree),
so a command added later is covered without an edit. Issue 21, defect 3: ``pyramid deploy
--help`` crashed with a traceback (a bare ``%`` in a help string) and no test ran it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import build_parser, main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
                  ) -> Iterator[tuple[str, ...]]:
    """Every command of the tree, as the words that name it (the root is ``()``)."""
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from command_paths(sub, (*prefix, name))


COMMANDS = sorted(set(command_paths(build_parser())))


def test_the_walk_finds_the_nested_and_the_deploy_commands() -> None:
    """The tree walk can fail: it must reach a nested action and the deploy module's commands."""
    assert {("config", "check"), ("deploy",), ("history",), ("check",), ()} <= set(COMMANDS)
    assert len(COMMANDS) >= 18


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no project above it: help and usage errors need none."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "pyramid")
def test_help_of_every_command(
    words: tuple[str, ...], elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*words, "--help"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"usage: {' '.join(('pyramid', *words))}"), out[:200]
    assert err == ""


def run_module(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("module", ["pytest_pyramid", "pytest_pyramid.deploy"])
def test_help_of_every_command_through_the_module_entry_points(
    module: str, elsewhere: Path
) -> None:
    """The real processes (``python -m pytest_pyramid.deploy`` is documented for hosts
    without the console script): one process per command, as a user runs it."""
    for words in COMMANDS:
        result = run_module(module, *words, "--help", cwd=elsewhere)
        shown = " ".join(words)
        assert (result.returncode, result.stderr) == (0, ""), f"{shown}: {result.stderr}"
        assert result.stdout.startswith("usage: "), shown


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "pyramid")
def test_an_unknown_flag_is_exit_3_with_one_line(
    words: tuple[str, ...], elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*words, "--no-such-flag"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("pyramid")
    assert "--no-such-flag" in err or "required" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "pyramid: the following arguments are required: COMMAND"),
        (("nosuch",), "invalid choice: 'nosuch'"),
        (("config",), "pyramid config: the following arguments are required: ACTION"),
        (("check", "--max-age", "soon"), "pyramid check: argument --max-age: 'soon'"),
        (("check", "--format", "xml"), "invalid choice: 'xml'"),
        (("keygen",), "pyramid keygen: the following arguments are required: prefix"),
        (("merge",), "the following arguments are required: PARTIAL"),
        (("attest", "v.json"), "the following arguments are required: --key"),
        (("history", "--limit", "many"), "pyramid history: argument --limit: invalid int"),
        (("report", "v.json"), "name at least one output"),
        (("deploy", "--port", "0"), "pyramid deploy: argument --port: '0'"),
        (("deploy", "--steps", "50,25,100"), "steps must strictly increase"),
        (("deploy", "--error-rate-limit", "150%"), "argument --error-rate-limit: '150%'"),
        (("stop", "--wait", "later"), "pyramid stop: argument --wait: 'later'"),
        (("approve",), "the following arguments are required: --key"),
    ],
)
def test_usage_errors_are_exit_3_with_one_line(
    args: tuple[str, ...], message: str, elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(list(args)) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert message in err


def test_a_usage_error_in_a_real_process_prints_no_traceback(elsewhere: Path) -> None:
    result = run_module("pytest_pyramid.deploy", "deploy", "--steps", "100%,x", cwd=elsewhere)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
