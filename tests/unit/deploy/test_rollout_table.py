"""A rollout is judged by the table it was started with: its commit's, and its file's (hostile
case 271: `--config` naming another tracked file judged a resumed rollout by that table)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.arguments import tightened
from pytest_pyramid.deploy.processes import Version
from pytest_pyramid.deploy.replays import other_table
from pytest_pyramid.deploy.state import DeployState, Rollout, read_state, save_state

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("started", "named", "refused"), [
    ("pyproject.toml", "pyproject.toml", False),
    ("pyproject.toml", "./sub/../pyproject.toml", False),  # the same file, spelled otherwise
    ("pyproject.toml", "examples/loose/pyproject.toml", True),  # the attack
    ("", "examples/loose/pyproject.toml", False),  # a rebuilt state does not say
    (None, "examples/loose/pyproject.toml", False),  # no rollout in progress
])
def test_a_rollout_is_judged_by_the_file_it_was_started_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: str | None, named: str,
        refused: bool) -> None:
    monkeypatch.chdir(tmp_path)
    config = tightened(str(tmp_path / "pyproject.toml"), {}, {}, env=None)
    version = Version("c2" * 20, 20001, 1, "releases/c2", "v.log", None)
    rollout = None if started is None else Rollout(
        2, "c2" * 20, "canary", version, config=str(tmp_path / started) if started else "")
    save_state(config.state_path, DeployState(rollout=rollout))
    assert (read_state(config.state_path).state.rollout or Rollout(0, "", "", version)).config \
        == ("" if not started else str(tmp_path / started))  # kept across a save
    why = other_table(config, named)
    if refused:
        assert why is not None
        assert why.startswith(f"rollout #2 was started from {tmp_path / str(started)}")
        assert "examples/loose/pyproject.toml is another table" in why
    else:
        assert why is None
