"""Trust anchors come from outside the release being judged: host pins, else the serving
release's own configuration (read from git), else - first deployment only - the checkout."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from pytest_pyramid.cli import main
from pytest_pyramid.deploy.anchors import anchors_for
from pytest_pyramid.deploy.config import load_config

if TYPE_CHECKING:
    from pathlib import Path


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=a@b", "-c", "user.name=a", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout.strip()


def write_config(root: Path, keys: list[str], approvers: dict[str, str]) -> None:
    people = "".join(
        f'{name} = {{ key = "{key}", roles = ["lead"] }}\n' for name, key in approvers.items()
    )
    quoted = ", ".join(f'"{k}"' for k in keys)
    (root / "pyproject.toml").write_text(
        f"[tool.pyramid.deploy]\ntrusted_keys = [{quoted}]\nrequire_signature = true\n"
        f"[tool.pyramid.deploy.approvers]\n{people}"
    )


def test_a_key_added_by_a_commit_not_yet_deployed_does_not_count(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    for name in ("ci", "alice", "mallory"):
        assert main(["keygen", str(root / name)]) == 0
    (root / ".gitignore").write_text("*.key\n")
    write_config(root, ["ci.pub"], {"alice": "alice.pub"})
    git(root, "add", "-A")
    git(root, "commit", "-qm", "serving")
    serving = git(root, "rev-parse", "HEAD")
    (root / "ci.pub").write_text("replaced in the working tree after the commit\n")
    write_config(root, ["ci.pub", "mallory.pub"], {"alice": "alice.pub", "mallory": "mallory.pub"})
    git(root, "commit", "-qam", "adds mallory")
    config = load_config(root / "pyproject.toml", cwd=root)

    anchors = anchors_for(config, serving, environ={})
    assert [p.name for p in anchors.approvers] == ["alice"]
    assert len(anchors.trusted_keys) == 1
    assert "-----BEGIN PUBLIC KEY-----" in anchors.trusted_keys[0]  # read from the commit
    assert anchors.require_signature
    assert "serving release" in anchors.origin
    assert anchors.notes  # the new keys are named as not counting yet

    first = anchors_for(config, None, environ={})  # nothing serves yet: the checkout itself
    assert [p.name for p in first.approvers] == ["alice", "mallory"]
    assert "first deployment" in first.origin

    pinned = anchors_for(config, serving, environ={"PYRAMID_TRUSTED_KEYS": "/host/ci.pub"})
    assert pinned.trusted_keys == ("/host/ci.pub",)
    assert "pinned by PYRAMID_TRUSTED_KEYS" in pinned.origin
