"""The commit a verdict speaks for, read from git (absent git is not an error)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class GitInfo:
    commit: str | None = None
    commit_time: str | None = None
    branch: str | None = None
    dirty: bool | None = None


def _git(cwd: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def read_git_info(cwd: Path) -> GitInfo:
    commit = _git(cwd, "rev-parse", "HEAD")
    if commit is None:
        return GitInfo()
    branch = _git(cwd, "rev-parse", "--abbrev-ref", "HEAD")
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no")
    return GitInfo(
        commit=commit,
        commit_time=_git(cwd, "show", "-s", "--format=%cI", "HEAD"),
        branch=None if branch in (None, "HEAD") else branch,
        dirty=None if status is None else bool(status),
    )
