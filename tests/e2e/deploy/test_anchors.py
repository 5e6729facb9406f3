"""Trust anchors are never downgraded to the code being deployed: losing or resetting the state
(garbage, empty-but-valid, deleted, `pyramid stop`, a clock step) keeps the anchors the last
successful deployment left in the anchors record. Real deploys behind real nginx."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.trust_record import read_record, record_path
from tests.support.deploy import host

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.deploy.helpers import Project


@pytest.fixture
def keys(tmp_path: Path, project: Project) -> Path:
    folder = tmp_path / "keys"
    folder.mkdir()
    for name in ("ci", "mallory"):
        assert project.run("keygen", str(folder / name)).returncode == 0
    return folder


def sign(project: Project, key: Path) -> None:
    signed = project.run("attest", str(project.verdict_path), "--key", str(key))
    assert signed.returncode == 0, signed.stderr


def step_the_clock_back(project: Project) -> None:
    """What a clock stepped back by a year leaves behind: every time written so far lies in the
    future (history rows, the state's start times)."""
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        db.execute("UPDATE deployments SET started_at = '2099-01-01T00:00:00Z', "
                   "finished_at = '2099-01-01T00:00:01Z'")
    state = json.loads((project.work_dir / "state.json").read_text())
    state["stable"]["started_at"] = "2099-01-01T00:00:00Z"
    (project.work_dir / "state.json").write_text(json.dumps(state))


LOSSES = {
    "garbage": lambda p: (p.work_dir / "state.json").write_text("{not json"),
    "empty-but-valid": lambda p: (p.work_dir / "state.json").write_text("{}"),
    "deleted": lambda p: (p.work_dir / "state.json").unlink(),
    "pyramid-stop": lambda p: p.run("stop"),
    "clock-step": step_the_clock_back,
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_lost_state_never_lowers_the_anchors(project: Project, keys: Path, loss: str) -> None:
    project.write_config(require_signature=True, trusted_keys=[str(keys / "ci.pub")])
    project.commit("v1")
    sign(project, keys / "ci.key")
    first = project.run("deploy")
    assert first.returncode == 0, first.stdout
    assert "trust on first use" in first.stdout
    assert record_path(project.work_dir).exists()
    LOSSES[loss](project)

    # The commit being deployed now declares its author's key, no signature needed, and one
    # person under two names: none of it may count.
    project.write_config(require_signature=False, trusted_keys=[str(keys / "mallory.pub")],
                         approvers={"mallory": {"key": str(keys / "mallory.pub"),
                                                "roles": ["lead"]}})
    project.commit("v2 vouches for itself")
    envelope = project.verdict_path.with_name(project.verdict_path.name + ".intoto.jsonl")
    envelope.unlink()  # v1's signature
    unsigned = project.run("deploy")
    assert unsigned.returncode == 1, unsigned.stdout
    assert "the verdict is not signed, and a signature is required" in unsigned.stdout
    assert "do not count until a deployment of a commit declaring them succeeds" in \
        unsigned.stdout
    sign(project, keys / "mallory.key")
    self_signed = project.run("deploy")
    assert self_signed.returncode == 1, self_signed.stdout
    assert "no signature verifies with a trusted key" in self_signed.stdout

    # The anchors were not lowered, they still work: the key the record holds passes the gate.
    sign(project, keys / "ci.key")
    legit = project.run("deploy", "--dry-run")
    assert legit.returncode == 0, legit.stdout
    assert "anchors record" in legit.stdout


def test_a_lost_record_in_a_folder_that_served_is_refused_not_retrusted(
    project: Project, keys: Path
) -> None:
    project.write_config(require_signature=True, trusted_keys=[str(keys / "ci.pub")])
    v1 = project.commit("v1")
    sign(project, keys / "ci.key")
    assert project.run("deploy").returncode == 0
    (project.work_dir / "state.json").write_text("{not json")
    for damage in ("deleted", "edited"):
        if damage == "deleted":
            record_path(project.work_dir).unlink()
        else:
            record_path(project.work_dir).write_text(
                '{"seq":1,"prev":"","anchors":{"trusted_keys":[],"require_signature":false,'
                '"approvers":[],"deployers":[]}}\n{"seq":2,"prev":"forged"}\n')
        project.write_config(require_signature=False, trusted_keys=[])
        project.commit(f"v2 after the record was {damage}")
        refused = project.run("deploy")
        assert refused.returncode == 1, refused.stdout
        assert "the trust anchors cannot be established" in refused.stdout
        assert "served before" in refused.stdout

    # Pinned on the host: the anchors come from there, and a signature becomes required.
    pinned = host.pin(host.folder(project.root), f"{keys / 'ci.pub'}\n", "trusted_keys")
    project.verdict_path.with_name(project.verdict_path.name + ".intoto.jsonl").unlink()
    pinned_unsigned = project.run("deploy")
    assert pinned_unsigned.returncode == 1, pinned_unsigned.stdout
    assert "the verdict is not signed, and a signature is required" in pinned_unsigned.stdout
    pinned.unlink()

    # A person decides to trust this checkout again: said loudly, recorded, the broken
    # record kept aside for people to read.
    project.write_verdict(v1)  # v1 serves already: the deploy is a quick no-op after its gate
    sign(project, keys / "ci.key")  # v1's own table (the deploy's) requires a signature
    again = project.run("deploy", "--commit", v1, "--trust-first-checkout")
    assert again.returncode == 0, again.stdout
    assert "already the stable version" in again.stdout
    assert "WARNING: trust on first use" in again.stdout
    assert "--trust-first-checkout" in again.stdout
    assert list(project.work_dir.glob("anchors.jsonl.broken-*"))
    record = read_record(project.work_dir)
    assert record.problem is None
    assert record.latest is not None
    assert record.latest.anchors.require_signature  # v1's own table, the one deployed


def test_host_deploy_config_anchors_approvers_and_refuses_a_self_approval(
    repo: Project, tmp_path: Path
) -> None:
    """Approvers on the host: the checkout's own approvers never count, even on a first
    deployment."""
    keydir = tmp_path / "keys"
    keydir.mkdir()
    for name in ("alice", "mallory", "carol"):
        assert repo.run("keygen", str(keydir / name)).returncode == 0
    host.pin(host.folder(repo.root),
             f'[approvers]\nalice = {{ key = "{keydir / "alice.pub"}", roles = ["lead"] }}\n'
             f'[deployers]\ncarol = {{ key = "{keydir / "carol.pub"}" }}\n')
    risk = {"level": "high", "score": 7.0, "factors": [{"id": "migration", "weight": 3.0}],
            "required_approvals": 1, "approver_roles": ["lead"]}
    repo.write_config(approvers={"mallory": {"key": str(keydir / "mallory.pub"),
                                             "roles": ["lead"]}})
    repo.commit("v1", decision="needs_approval", risk=risk)
    approval = tmp_path / "mallory.approval"
    signed = subprocess.run(  # on her own machine (no host pins), where her key is known
        host.argv(tmp_path / "mallorys-machine", "approve", "--key",
                  str(keydir / "mallory.key"), "-o", str(approval)),
        cwd=repo.root, env=repo.environ(), capture_output=True, text=True, check=False)
    assert signed.returncode == 0, signed.stderr
    result = repo.run("deploy", "--dry-run", "--deployer-key", str(keydir / "carol.key"),
                      "--approval", str(approval))
    assert result.returncode == 2, result.stdout
    assert "approvers, deployers from" in result.stdout
    assert "trusted_keys come from this checkout" in result.stdout
    assert "has 0" in result.stdout
    assert "does not verify" in result.stdout
    # alice is an approver on the host only: `pyramid approve` knows her, the gate counts her
    by_alice = tmp_path / "alice.approval"
    signed = repo.run("approve", "--key", str(keydir / "alice.key"), "-o", str(by_alice))
    assert signed.returncode == 0, signed.stderr
    counted = repo.run("deploy", "--dry-run", "--deployer-key", str(keydir / "carol.key"),
                       "--approval", str(by_alice), "--approval", str(approval))
    assert counted.returncode == 0, counted.stdout
    assert "approved by alice (lead)" in counted.stdout
    stranger = repo.run("approve", "--key", str(keydir / "mallory.key"), "-o", str(approval))
    assert stranger.returncode == 3
    assert "deploy.toml" in stranger.stderr


def test_a_succeeded_deployment_advances_the_record_from_its_own_commit(
    tmp_path: Path,
) -> None:
    """Key rotation: the anchors after a deployment are its commit's own (read from git, key
    files included), appended to the record from the history; require_signature never goes
    down; a checkout's uncommitted keys never count."""
    from dataclasses import replace

    from pytest_pyramid.cli import main
    from pytest_pyramid.deploy.anchors import AnchorsRefused, anchors_for_deploy, record_first_use
    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.deploy.history import History
    from tests.support.deploy.helpers import git

    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    for name in ("ci", "ci-2027", "mallory"):
        assert main(["keygen", str(root / name)]) == 0
    (root / ".gitignore").write_text("*.key\n.pyramid/\n")

    def configure(key: str, required: bool) -> str:
        (root / "pyproject.toml").write_text(
            f'[tool.pyramid.deploy]\ntrusted_keys = ["{key}"]\n'
            f"require_signature = {str(required).lower()}\n")
        git(root, "add", "-A")
        git(root, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", key)
        return git(root, "rev-parse", "HEAD")

    first = configure("ci.pub", True)
    config = load_config(root / "pyproject.toml", cwd=root)
    history = History(config.history_path)
    roots = (tmp_path / "host",)  # the host's targets index is kept there
    with pytest.raises(AnchorsRefused, match="no folder of the deploy account"):
        anchors_for_deploy(config, history, environ={}, roots=())  # no index: no first use
    tofu = anchors_for_deploy(config, history, environ={}, roots=roots)
    assert tofu.first_use is not None
    assert not tofu.recorded_target  # the host knows nothing of the target (hostile case 281)
    assert record_first_use(config, tofu, first) is None
    row = history.start(commit=first, commit_time=None, strategy="canary", dry_run=False,
                        verdict_path="v")
    history.finish(row, outcome="succeeded", reason="ok")
    rotated = configure("ci-2027.pub", False)  # rotates the key, tries to drop the signature
    row = history.start(commit=rotated, commit_time=None, strategy="canary", dry_run=False,
                        verdict_path="v")
    history.finish(row, outcome="succeeded", reason="ok")
    (root / "pyproject.toml").write_text('[tool.pyramid.deploy]\ntrusted_keys = ["mallory.pub"]\n')
    config = load_config(root / "pyproject.toml", cwd=root)

    anchors = anchors_for_deploy(config, history, environ={}, roots=roots)
    assert anchors.trusted_keys == ((root / "ci-2027.pub").read_text(),)
    assert anchors.require_signature
    assert any("do not count" in note for note in anchors.notes)
    record = read_record(config.work_dir)
    assert [e.deployment_id for e in record.entries] == [0, 1, 2]
    # what the folder serves is its first use's, kept by every line (hostile case 281)
    assert {e.anchors.serves for e in record.entries} == {("", config.port)}
    assert anchors.serves == ("", config.port)
    assert anchors.recorded_target
    again = anchors_for_deploy(config, history, environ={}, roots=roots)
    assert again.trusted_keys == anchors.trusted_keys
    assert len(read_record(config.work_dir).entries) == 3  # caught up once, not again

    # 166: a fresh --work-dir takes the target's record, never the checkout on first use
    fresh = replace(config, work_dir=tmp_path / "fresh")
    moved = anchors_for_deploy(fresh, None, environ={}, roots=roots)
    assert moved.trusted_keys == ((root / "ci-2027.pub").read_text(),)  # not mallory's
    assert moved.require_signature
    assert moved.first_use is not None  # recorded in the fresh folder once it deploys
    assert moved.recorded_target  # the index names its port
    # the host's index names the port it served: that record, not the configured folder's word
    assert moved.origin.startswith(f"the anchors record {record_path(config.work_dir)} "
                                   f"(port {config.port}: the same service)")
    tofu = anchors_for_deploy(fresh, None, environ={}, roots=(), trust_first_checkout=True)
    assert tofu.trusted_keys == ((root / "mallory.pub").read_text(),)  # a person said so
    record_path(config.work_dir).write_text("{not a record\n")
    with pytest.raises(AnchorsRefused, match="record cannot be used"):
        anchors_for_deploy(fresh, None, environ={}, roots=roots)


@pytest.mark.parametrize("move", ["work_dir", "environment"])
def test_a_commit_moving_its_target_to_a_fresh_folder_is_not_a_first_use(
    project: Project, keys: Path, move: str
) -> None:
    """Hostile case 322: first use is a property of the service, not of a folder. A commit
    that trusts its author's key and moves its work folder, or moves its port into a new
    environment, finds no record in the new folder; the host's targets index names the port,
    so the anchors are those of the record that served it."""
    project.write_config(require_signature=True, trusted_keys=[str(keys / "ci.pub")])
    project.commit("v1")
    sign(project, keys / "ci.key")
    assert project.run("deploy").returncode == 0
    project.write_config(trusted_keys=[str(keys / "mallory.pub")])
    where: tuple[str, ...] = ()
    if move == "work_dir":
        project.write_config(work_dir=".pyramid/live")
    else:
        project.write_config(port=None)
        with (project.root / "pyproject.toml").open("a") as toml:
            toml.write(f"[tool.pyramid.deploy.environments.production]\nport = {project.port}\n")
        where = ("--env", "production")
    project.commit("X moves its target and trusts its author")
    sign(project, keys / "mallory.key")
    refused = project.run("deploy", "--dry-run", *where)
    assert refused.returncode == 1, refused.stdout
    assert f"port {project.port} served from {project.work_dir}" in refused.stdout
    assert "trust on first use" not in refused.stdout
    assert "no signature verifies with a trusted key" in refused.stdout
    sign(project, keys / "ci.key")  # the same commit signed by the key the service trusts
    moved = project.run("deploy", "--dry-run", *where)
    assert moved.returncode == 0, moved.stdout
    assert f"(port {project.port}: the same service)" in moved.stdout


@pytest.mark.parametrize("old_target", ["serving", "stopped"])
def test_a_lost_targets_index_is_unknown_not_empty(
    project: Project, keys: Path, old_target: str
) -> None:
    """Hostile case 377: the host's targets index gone (a home rebuilt from an image), a
    commit moving ``work_dir`` is no first use while this host's router serves the port from
    another folder (found in /proc), nor once it is stopped (that folder's record, which the
    configuration named before, serves the port)."""
    project.write_config(require_signature=True, trusted_keys=[str(keys / "ci.pub")])
    project.commit("v1")
    sign(project, keys / "ci.key")
    assert project.run("deploy").returncode == 0
    old = project.work_dir
    project.write_config(trusted_keys=[str(keys / "mallory.pub")], work_dir=".pyramid/live")
    project.commit("X moves its work folder and trusts its author")
    sign(project, keys / "mallory.key")
    (host.folder(project.root) / "targets.jsonl").unlink()
    if old_target == "stopped":
        assert project.run("stop", "--work-dir", str(old)).returncode == 0
    refused = project.run("deploy", "--dry-run")
    assert refused.returncode == 1, refused.stdout
    assert f"port {project.port} served from {old}" in refused.stdout
    assert "trust on first use" not in refused.stdout
    assert "no signature verifies with a trusted key" in refused.stdout


def test_the_deploying_process_s_keys_only_narrow_the_record_s(
    project: Project, keys: Path
) -> None:
    """Hostile case 321: with no host pins, PYRAMID_TRUSTED_KEYS may only narrow the record's
    keys once the folder served; it pins keys itself only on a true first use."""
    project.write_config(require_signature=True, trusted_keys=[str(keys / "ci.pub")])
    project.commit("v1")
    sign(project, keys / "ci.key")
    assert project.run("deploy").returncode == 0
    project.commit("v2")
    sign(project, keys / "mallory.key")
    project.env["PYRAMID_TRUSTED_KEYS"] = str(keys / "mallory.pub")
    refused = project.run("deploy", "--dry-run")
    assert refused.returncode == 1, refused.stdout
    assert "PYRAMID_TRUSTED_KEYS names key id" in refused.stdout
    assert "may only narrow them" in refused.stdout
    project.env["PYRAMID_TRUSTED_KEYS"] = str(keys / "ci.pub")
    sign(project, keys / "ci.key")
    narrowed = project.run("deploy", "--dry-run")
    assert narrowed.returncode == 0, narrowed.stdout
    assert "PYRAMID_TRUSTED_KEYS, narrowing the keys of the anchors record" in narrowed.stdout
