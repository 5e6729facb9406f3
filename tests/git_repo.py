"""The one way the plugin's own tests make and drive git repositories (issue 21: one shared git
helper, not a copy per test file). Every command runs with an identity of its own and with the
user's and the system's git configuration left out, so a developer's signing, hooks or default
branch never change a test's repository."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: added to the environment of every git command a test runs
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    """Run ``git args`` in ``cwd``; its standard output without the final newline. A failing
    command raises ``CalledProcessError`` (its ``stderr`` says why)."""
    result = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV},
                            check=True, capture_output=True, text=True)
    return result.stdout.rstrip("\n")


def commit(cwd: Path, message: str = "commit") -> str:
    """Stage every file and commit them; the new commit's id."""
    git(cwd, "add", "-A")
    git(cwd, "commit", "-qm", message)
    return git(cwd, "rev-parse", "HEAD")


def init_repo(cwd: Path, *, branch: str = "main", message: str = "initial") -> str:
    """``git init`` on ``branch`` with every file in ``cwd`` committed; the commit's id."""
    git(cwd, "init", "-q", "-b", branch)
    return commit(cwd, message)
