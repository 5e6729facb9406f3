"""``pyramid status`` shows what the statistical judge spent of a rollout in progress: its
looks against ``judge_looks`` and its alpha against ``judge_alpha``, from the rollout's durable
record (the same count a resumed supervisor goes on from), in text and in ``--json``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import main
from pytest_pyramid.deploy.processes import Version
from pytest_pyramid.deploy.state import DeployState, Rollout, save_state
from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path


def _version(port: int) -> Version:
    # a pid no process has (above the kernel's pid_max): nothing here is running
    return Version("a" * 40, port, 2**22 + 1, "/nonexistent", "", 1)


@pytest.mark.parametrize(("judge", "shown"), [
    ("nonparametric", "looks: 3 of 12, alpha spent 0.0009 of 0.02 (judge = nonparametric)"),
    ("threshold", None),
])
def test_status_shows_the_looks_and_alpha_the_judge_spent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], judge: str, shown: str | None,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.pyramid.deploy]\njudge = "{judge}"\njudge_looks = 12\njudge_alpha = 0.02\n'
        'work_dir = "work"\n')
    # the rollout's commit ships that table: status judges by the table its commit ships
    (tmp_path / ".gitignore").write_text("work/\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "configured")
    sha = git(tmp_path, "rev-parse", "HEAD")
    # stuck: a rollout waiting for a person, so status resumes no supervisor for it
    rollout = Rollout(4, sha, "canary", _version(20002), stage=1, weight=25,
                      status="stuck", reason="held for the test", looks=3, alpha_spent=0.0009)
    (tmp_path / "work").mkdir()
    save_state(tmp_path / "work" / "state.json", DeployState(stable=_version(20001),
                                                              rollout=rollout))
    config = str(tmp_path / "pyproject.toml")
    assert main(["status", "--config", config]) == 1  # stuck, nothing running: degraded
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("rollout #4: "))
    if shown is None:
        assert not any("looks:" in line for line in lines), lines
    else:
        assert lines[at + 1] == shown
    assert main(["status", "--json", "--config", config]) == 1
    report = json.loads(capsys.readouterr().out)
    expected = None if shown is None else {"looks": 3, "judge_looks": 12,
                                           "alpha_spent": 0.0009, "judge_alpha": 0.02}
    assert report["rollout"]["judge"] == expected
