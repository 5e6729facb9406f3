"""A commit's configuration file is read from git once per process when the commit is named
by its full id (its content is addressed by that id: a deploy asked for it up to six times,
two git processes each); a name that moves (``HEAD``) is read at each call, and what git
could not read is asked again. Real git."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy import anchors
from pytest_pyramid.deploy.config import project_config
from pytest_pyramid.run import _git as run_git_module
from tests.git_repo import commit, git, init_repo

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig


@pytest.fixture
def gits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The git command lines anchors runs (each still runs, on the real repository)."""
    ran: list[tuple[str, ...]] = []
    real = run_git_module.run_git

    def counted(cwd: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        ran.append(args)
        return real(cwd, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(anchors, "run_git", counted)
    return ran


def _config(root: Path) -> DeployConfig:
    return replace(project_config(str(root / "pyproject.toml"), {}), root=root)


def test_a_full_id_is_read_once_and_head_at_each_call(tmp_path: Path,
                                                      gits: list[tuple[str, ...]]) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.pyramid]\ntiers = ["unit"]\n')
    first = init_repo(root)
    config = _config(root)
    for _ in range(3):
        assert anchors.committed_pyramid(config, first) == ({"tiers": ["unit"]},
                                                            "pyproject.toml")
    assert len(gits) == 2  # the top level and the file, once
    (root / "pyproject.toml").write_text('[tool.pyramid]\ntiers = ["e2e"]\n')
    second = commit(root, "second")
    assert anchors.committed_pyramid(config, "HEAD") == ({"tiers": ["e2e"]},
                                                         "pyproject.toml")
    assert anchors.committed_pyramid(config, second) == ({"tiers": ["e2e"]}, "pyproject.toml")
    assert anchors.committed_pyramid(config, first) == ({"tiers": ["unit"]}, "pyproject.toml")
    git(root, "rm", "-q", "pyproject.toml")
    third = commit(root, "third")
    for _ in range(2):  # not in that commit: asked of git each time
        assert anchors.committed_pyramid(config, third) == (None, "pyproject.toml")
    assert len(gits) == 2 + 2 + 2 + 2 * 2
