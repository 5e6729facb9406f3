"""The gate, signed approvals, trusted keys, config errors, dry run, history and state through
the real CLI (``python -m pytest_pyramid.deploy``), with real git repositories and real keys.
No nginx: nothing here starts a version."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_pyramid._files import write_json_atomic
from tests.support.deploy.helpers import Project, git, make_verdict

if TYPE_CHECKING:
    from pathlib import Path

RISK = {"level": "high", "score": 7.0, "factors": [{"id": "migration", "weight": 3.0}],
        "required_approvals": 2, "approver_roles": ["lead", "sre"]}


def outcomes(project: Project) -> list[tuple[str, str]]:
    with sqlite3.connect(project.work_dir / "history.sqlite") as db:
        return list(db.execute("SELECT outcome, reason FROM deployments ORDER BY id"))


# -- the gate ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("verdict_kwargs", "expected"),
    [
        ({"decision": "blocked"}, "the verdict decision is blocked"),
        ({"decision": "incomplete"}, "the verdict decision is incomplete"),
        ({"age": timedelta(hours=30)}, "older than the 24h00m allowed"),
        ({"dirty": True}, "changes not in its commit"),
        ({"nested": True}, "started by another pytest run (its parent judges it); a release "
                           "needs a top-level run"),
    ],
)
def test_refusals_are_printed_and_recorded(
    repo: Project, verdict_kwargs: dict[str, Any], expected: str
) -> None:
    repo.commit("v1", **verdict_kwargs)
    result = repo.run("deploy")
    assert result.returncode == 1
    assert expected in result.stdout
    assert [o for o, _ in outcomes(repo)] == ["refused"]
    assert expected in outcomes(repo)[0][1]
    assert not (repo.work_dir / "state.json").exists()


def test_verdict_for_another_commit_is_refused(repo: Project) -> None:
    first = repo.commit("v1")
    repo.commit("v2")
    write_json_atomic(repo.verdict_path, make_verdict(first, repo=repo.root))
    result = repo.run("deploy")
    assert result.returncode == 1
    assert f"the verdict is for commit {first[:12]}" in result.stdout


def test_an_older_commit_ships_with_its_own_verdict(repo: Project) -> None:
    first = repo.commit("v1")
    first_verdict = repo.verdict_path.read_text()
    repo.commit("v2")
    repo.verdict_path.write_text(first_verdict)
    result = repo.run("deploy", "--dry-run", "--commit", first[:10])
    assert result.returncode == 0, result.stdout
    assert f"a clean checkout of {first[:12]}" in result.stdout


def test_uncommitted_edits_neither_block_nor_ship(repo: Project) -> None:
    """What ships is the commit's tree, which the verdict tested; the edit is not in it."""
    (repo.root / "app.txt").write_text("v1\n")
    sha = repo.commit("v1")
    (repo.root / "app.txt").write_text("edited, not committed\n")
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 0, result.stdout
    assert f"a clean checkout of {sha[:12]}" in result.stdout


def test_a_verdict_that_tested_uncommitted_edits_is_refused(repo: Project) -> None:
    (repo.root / "app.txt").write_text("v1\n")
    sha = repo.commit("v1")
    (repo.root / "app.txt").write_text("edited, tested, not committed\n")
    # The run saw the edit: its tree digest is the working tree's, not the commit's.
    write_json_atomic(repo.verdict_path, make_verdict(sha, repo=repo.root, dirty=True))
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 1
    assert f"the code it tested is not commit {sha[:12]}" in result.stdout


def test_schema_invalid_or_missing_verdict_is_refused(repo: Project) -> None:
    repo.commit("v1")
    repo.verdict_path.write_text(json.dumps({"decision": "ready"}))
    result = repo.run("deploy")
    assert result.returncode == 1
    assert "does not match the verdict schema" in result.stdout
    result = repo.run("deploy", "--verdict", "nowhere.json")
    assert result.returncode == 1
    assert "cannot read the verdict" in result.stdout
    assert [o for o, _ in outcomes(repo)] == ["refused", "refused"]


def test_the_default_verdict_is_the_plugins_setting(repo: Project) -> None:
    repo.write_config(pyramid={"verdict": "out/v.json"})
    sha = repo.commit("v1")
    assert repo.run("deploy", "--dry-run").returncode == 1  # out/v.json is not there yet
    (repo.root / "out").mkdir()
    repo.verdict_path.rename(repo.root / "out" / "v.json")
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 0, result.stdout
    assert sha[:12] in result.stdout


# -- verdict signatures: trusted keys, rotation, require_signature -------------------------------
@pytest.fixture
def keydir(module_keys: Path) -> Path:
    """The module's key pairs (tests only read them: one `pyramid keygen` per name)."""
    return module_keys


def test_require_signature_refuses_an_unsigned_verdict(repo: Project, keydir: Path) -> None:
    repo.write_config(require_signature=True, trusted_keys=[str(keydir / "ci.pub")])
    repo.commit("v1")
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 1
    assert "the verdict is not signed, and a signature is required" in result.stdout


def test_a_pyramid_toml_projects_deploy_settings_count(repo: Project, keydir: Path) -> None:
    """Issue 21, defect 1: deploy read [tool.pyramid.deploy] from the nearest pyproject.toml
    only; in a project configured by a standalone pyramid.toml its [deploy] was ignored, so
    an unsigned verdict was deployed under ``require_signature = true``."""
    repo.write_config(require_signature=True, trusted_keys=[str(keydir / "ci.pub")])
    text = (repo.root / "pyproject.toml").read_text()
    (repo.root / "pyproject.toml").unlink()
    (repo.root / "pyramid.toml").write_text(  # tracked: the deploy reads the commit's
        text.replace("[tool.pyramid]\n", "").replace("[tool.pyramid.deploy]", "[deploy]"))
    repo.commit("v1")
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the verdict is not signed, and a signature is required" in result.stdout
    checked = repo.run("check")
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert "not signed" in checked.stderr


@pytest.mark.parametrize(
    ("signer", "trusted", "allowed", "reason"),
    [
        ("ci", ["ci"], True, ""),
        ("ci-new", ["ci", "ci-new"], True, ""),  # rotation: both keys trusted
        ("stranger", ["ci"], False, "no signature verifies with a trusted key"),
    ],
)
def test_verdict_signatures_by_trusted_keys(
    repo: Project, keydir: Path, signer: str, trusted: list[str], allowed: bool, reason: str
) -> None:
    repo.write_config(require_signature=True,
                      trusted_keys=[str(keydir / f"{k}.pub") for k in trusted])
    repo.commit("v1")
    signed = repo.run("attest", str(repo.verdict_path), "--key", str(keydir / f"{signer}.key"))
    assert signed.returncode == 0, signed.stderr
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == (0 if allowed else 1), result.stdout
    assert reason in result.stdout


def test_a_verdict_edited_after_signing_is_refused(repo: Project, keydir: Path) -> None:
    repo.write_config(trusted_keys=[str(keydir / "ci.pub")])  # signature checked when present
    repo.commit("v1")
    assert repo.run("attest", str(repo.verdict_path), "--key",
                    str(keydir / "ci.key")).returncode == 0
    data = json.loads(repo.verdict_path.read_text())
    data["run"]["duration_s"] = 0.5  # still self-consistent, but not what was signed
    write_json_atomic(repo.verdict_path, data)
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 1
    assert "the signed verdict differs from this file" in result.stdout


# -- approvals are signatures ---------------------------------------------------------------------
def approvers(keydir: Path) -> dict[str, object]:
    return {
        "alice": {"key": str(keydir / "alice.pub"), "roles": ["lead"]},
        "bob": {"key": str(keydir / "bob.pub"), "roles": ["sre"]},
    }


def test_needs_approval_counts_signed_approvals_by_distinct_people(
    repo: Project, keydir: Path
) -> None:
    repo.write_config(approvers=approvers(keydir),
                      deployers={"carol": {"key": str(keydir / "carol.pub")}})
    repo.commit("v1", decision="needs_approval", risk=RISK)
    deployer = ("--deployer-key", str(keydir / "carol.key"))
    no_identity = repo.run("deploy", "--dry-run")
    assert no_identity.returncode == 1
    assert "pass --deployer-key" in no_identity.stdout
    result = repo.run("deploy", "--dry-run", *deployer)
    assert result.returncode == 2
    assert "needs 2 approval(s) from lead, sre" in result.stdout
    first = repo.run("approve", "--key", str(keydir / "alice.key"))
    assert first.returncode == 0, first.stderr
    assert "approvals: 1/2 (alice (lead))" in first.stdout
    again = repo.run("approve", "--key", str(keydir / "alice.key"))
    assert "approvals: 1/2" in again.stdout  # a person counts once
    assert repo.run("deploy", "--dry-run", *deployer).returncode == 2
    stranger = repo.run("approve", "--key", str(keydir / "stranger.key"))
    assert stranger.returncode == 3
    assert "is not an approver" in stranger.stderr
    wrong_role = repo.run("approve", "--key", str(keydir / "alice.key"), "--role", "sre")
    assert wrong_role.returncode == 3
    assert "not configured for role 'sre'" in wrong_role.stderr
    assert repo.run("approve", "--key", str(keydir / "bob.key")).returncode == 0
    result = repo.run("deploy", "--dry-run", *deployer)
    assert result.returncode == 0, result.stdout
    assert "approved by alice (lead), bob (sre)" in result.stdout
    assert "deployer: carol" in result.stdout


def test_the_deployers_own_approval_never_counts(repo: Project, keydir: Path) -> None:
    repo.write_config(approvers=approvers(keydir))
    repo.commit("v1", decision="needs_approval", risk={**RISK, "required_approvals": 1})
    assert repo.run("approve", "--key", str(keydir / "alice.key")).returncode == 0
    as_alice = repo.run("deploy", "--dry-run", "--deployer-key", str(keydir / "alice.key"))
    assert as_alice.returncode == 2
    assert "the deployer's own approval does not count" in as_alice.stdout
    as_bob = repo.run("deploy", "--dry-run", "--deployer-key", str(keydir / "bob.key"))
    assert as_bob.returncode == 0, as_bob.stdout
    unknown = repo.run("deploy", "--dry-run", "--deployer-key", str(keydir / "stranger.key"))
    assert unknown.returncode == 1
    assert "is not configured in [tool.pyramid.deploy.approvers]" in unknown.stdout


def test_rows_written_into_the_history_by_hand_do_not_count(
    repo: Project, keydir: Path
) -> None:
    repo.write_config(approvers=approvers(keydir))
    sha = repo.commit("v1", decision="needs_approval", risk={**RISK, "required_approvals": 1})
    deployer = ("--deployer-key", str(keydir / "bob.key"))
    assert repo.run("deploy", "--dry-run", *deployer).returncode == 2  # creates the history
    with sqlite3.connect(repo.work_dir / "history.sqlite") as db:
        db.execute("INSERT INTO approvals (who, role, commit_sha, approved_at) VALUES "
                   "('alice', 'lead', ?, '2099-01-01T00:00:00Z')", (sha,))
        db.execute("INSERT INTO approvals (who, role, commit_sha, approved_at, envelope) VALUES "
                   "('Alice', 'lead', ?, '2099-01-01T00:00:00Z', ?)",
                   (sha, json.dumps({"payload": "e30=", "payloadType": "x", "signatures": []})))
    result = repo.run("deploy", "--dry-run", *deployer)
    assert result.returncode == 2
    assert "has 0" in result.stdout
    assert "without a signature" in result.stdout
    assert "does not verify" in result.stdout


def test_an_approval_file_from_another_host(repo: Project, keydir: Path, tmp_path: Path) -> None:
    repo.write_config(approvers=approvers(keydir))
    repo.commit("v1", decision="needs_approval", risk={**RISK, "required_approvals": 1})
    out = tmp_path / "alice.approval.json"
    assert repo.run("approve", "--key", str(keydir / "alice.key"), "-o", str(out)).returncode == 0
    result = repo.run("deploy", "--dry-run", "--deployer-key", str(keydir / "bob.key"),
                      "--approval", str(out))
    assert result.returncode == 0, result.stdout
    assert "approved by alice (lead)" in result.stdout


def test_an_approval_envelope_verifies_with_securesystemslib(
    repo: Project, keydir: Path, tmp_path: Path
) -> None:
    """The approval is a standard DSSE envelope: a standard implementation accepts it."""
    dsse = pytest.importorskip("securesystemslib.dsse")
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

    repo.write_config(approvers=approvers(keydir))
    repo.commit("v1", decision="needs_approval", risk={**RISK, "required_approvals": 1})
    out = tmp_path / "a.json"
    assert repo.run("approve", "--key", str(keydir / "alice.key"), "-o", str(out)).returncode == 0
    envelope = dsse.Envelope.from_dict(json.loads(out.read_text()))
    key = SSlibKey.from_crypto(load_pem_public_key((keydir / "alice.pub").read_bytes()))
    assert list(envelope.verify([key], 1)) == [key.keyid]
    assert envelope.payload_type == "application/vnd.pytest-pyramid.approval+json"
    assert json.loads(envelope.payload)["approver"] == "alice"


def _forge_a_blocked_verdict(repo: Project, keydir: Path) -> str:
    """Issue 21: a blocked verdict edited to ask for approval instead."""
    repo.commit("v1", decision="blocked")
    data = json.loads(repo.verdict_path.read_text())
    data["decision"], data["risk"] = "needs_approval", RISK
    write_json_atomic(repo.verdict_path, data)
    return "its own gates and tiers give 'blocked'"


def _edit_after_signing(repo: Project, keydir: Path) -> str:
    repo.write_config(trusted_keys=[str(keydir / "ci.pub")])  # approve reads the commit's
    repo.commit("v1", decision="needs_approval", risk=RISK)
    assert repo.run("attest", str(repo.verdict_path), "--key",
                    str(keydir / "ci.key")).returncode == 0
    data = json.loads(repo.verdict_path.read_text())
    data["risk"]["required_approvals"] = 1  # fewer approvals than the signed verdict asks
    write_json_atomic(repo.verdict_path, data)
    return "the signed verdict differs from this file"


def _unsigned_where_required(repo: Project, keydir: Path) -> str:
    repo.write_config(require_signature=True, trusted_keys=[str(keydir / "ci.pub")])
    repo.commit("v1", decision="needs_approval", risk=RISK)
    return "the verdict is not signed, and a signature is required"


def _tested_other_code(repo: Project, keydir: Path) -> str:
    (repo.root / "app.txt").write_text("v1\n")
    sha = repo.commit("v1")
    (repo.root / "app.txt").write_text("edited, tested, not committed\n")
    write_json_atomic(repo.verdict_path, make_verdict(
        sha, repo=repo.root, decision="needs_approval", risk=RISK, dirty=True))
    return f"the code it tested is not commit {sha[:12]}"


@pytest.mark.parametrize(
    ("make", "written"),
    # half of the rows sign into the history, half into a file for another host
    [(_forge_a_blocked_verdict, False), (_edit_after_signing, True),
     (_unsigned_where_required, False), (_tested_other_code, True)],
)
def test_an_untrusted_verdict_is_never_approved(
    repo: Project, keydir: Path, tmp_path: Path, make: Any, written: bool
) -> None:
    """Issue 21: `pyramid approve` asks the trust entry point the gate asks, under the same
    anchors: it signs nothing, and records nothing, for a verdict the gate would refuse."""
    repo.write_config(approvers=approvers(keydir))
    expected = make(repo, keydir)
    out = tmp_path / "alice.approval.json"
    args = ("-o", str(out)) if written else ()
    result = repo.run("approve", "--key", str(keydir / "alice.key"), *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[approve] refused to approve the verdict" in result.stdout
    assert expected in result.stdout
    assert not out.exists()
    history = repo.work_dir / "history.sqlite"
    if history.exists():
        with sqlite3.connect(history) as db:
            assert list(db.execute("SELECT who FROM approvals")) == []


# -- usage errors exit 3 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setting", "value"),
    [("steps", [5, 50]), ("error_rate_limit", "lots"), ("p95_limit", "quick")],
)
def test_bad_config_exits_3_naming_key_value_file(
    repo: Project, setting: str, value: object
) -> None:
    repo.write_config(**{setting: cast("Any", value)})
    repo.commit("v1")
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 3
    assert f"{repo.root / 'pyproject.toml'}: [tool.pyramid] deploy.{setting} = " \
           f"{value!r}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy", "--steps", "50,25,100"), "argument --steps: '50,25,100': steps must strictly"),
        (("deploy", "--min-requests", "lots"), "argument --min-requests: 'lots': expected an int"),
        (("deploy", "--bake", "soon"), "argument --bake: 'soon': expected a duration"),
        (("abort", "--rollout", "x"), "argument --rollout: invalid int value"),
        (("deploy", "--no-such-flag"), "unrecognized arguments"),
    ],
)
def test_bad_flags_exit_3(repo: Project, args: tuple[str, ...], message: str) -> None:
    result = repo.run(*args)
    assert result.returncode == 3
    assert message in result.stderr


def test_dry_run_plans_and_validates_configs_without_starting_anything(repo: Project) -> None:
    repo.write_config(steps=[10, 40, 100])
    repo.commit("v1")
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 0, result.stdout
    assert "no stable version" in result.stdout
    assert result.stdout.count("config check: ok") == 1
    assert "127.0.0.1:<new port>=100%" in result.stdout
    pid_file = repo.work_dir / "router" / "split" / "nginx.pid"
    assert not pid_file.exists() or not pid_file.read_text().strip()  # `nginx -t` touches it
    assert not (repo.work_dir / "state.json").exists()
    assert "canary (dry)" in repo.run("history").stdout


def test_nothing_deployed_yet(repo: Project) -> None:
    result = repo.run("stats")
    assert result.returncode == 0
    assert "change failure rate:     n/a" in result.stdout
    assert "deployment frequency:    n/a" in result.stdout
    abort = repo.run("abort")
    assert abort.returncode == 1
    assert "refused: no rollout in progress" in abort.stdout
    rollback = repo.run("rollback")
    assert rollback.returncode == 1
    assert "no earlier version is recorded" in rollback.stdout
    status = repo.run("status")
    assert status.returncode == 0
    assert "stable: none" in status.stdout


@pytest.mark.parametrize("content", ["{not json", '{"stable": "abc"}', "[]"])
def test_a_broken_state_file_is_a_state_error_for_status(repo: Project, content: str) -> None:
    repo.work_dir.mkdir(parents=True)
    (repo.work_dir / "state.json").write_text(content)
    result = repo.run("status")
    assert result.returncode == 3
    assert "not a valid deploy state" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_deploy_without_a_commit_is_a_usage_error(repo: Project) -> None:
    assert git(repo.root, "rev-list", "--all") == ""  # the fixture's repository has no commit
    result = repo.run("deploy", "--dry-run")
    assert result.returncode == 3
    assert "not a commit of the git repository" in result.stderr


def test_production_asks_its_approval_of_a_ready_verdict_and_deploys_once_given(
    repo: Project, tmp_path: Path
) -> None:
    """required_approvals on an environment: production answers "needs approval" (exit 2) to
    a ready verdict until a release manager signed it with `pyramid approve --env production`;
    the deployer is identified by their key. The verdict's own risk row (1 from security) is
    a second requirement, held on its own: the release manager's approval does not stand in
    for it."""
    from pytest_pyramid._files import write_bytes_atomic
    from pytest_pyramid.verdict.signing import generate_private_key, private_pem, public_pem

    keys = tmp_path / "people"
    keys.mkdir()
    for name in ("alice", "carol", "sam"):  # in-process: keygen processes cost CI seconds
        key = generate_private_key()
        write_bytes_atomic(keys / f"{name}.key", private_pem(key), mode=0o600)
        write_bytes_atomic(keys / f"{name}.pub", public_pem(key.public_key()))
    repo.write_config(
        port=None, approvers={"alice": {"key": str(keys / "alice.pub"),
                                        "roles": ["release_manager"]},
                              "sam": {"key": str(keys / "sam.pub"), "roles": ["security"]}},
        deployers={"carol": {"key": str(keys / "carol.pub")}})
    with (repo.root / "pyproject.toml").open("a") as toml:
        toml.write("[tool.pyramid.deploy.environments.staging]\nport = 9001\n"
                   "[tool.pyramid.deploy.environments.production]\nport = 9000\n"
                   'required_approvals = 1\napprover_roles = ["release_manager"]\n')
    # (a ready verdict at staging, which asks none, is a unit row: test_requirements_logic)
    sha = repo.commit("v1", decision="needs_approval", risk={
        **RISK, "required_approvals": 1, "approver_roles": ["security"]})
    deployer = ("--deployer-key", str(keys / "carol.key"))
    asked = repo.run("deploy", "--env", "production", "--dry-run", *deployer)
    assert asked.returncode == 2, asked.stdout + asked.stderr
    assert f"deploy of {sha[:12]} needs approval" in asked.stdout
    assert "production needs 1 approval(s) from release_manager (required by this checkout)" \
        in asked.stdout
    assert "needs 1 approval(s) from security (risk high, score 7.0); has 0" in asked.stdout
    given = repo.run("approve", "--env", "production", "--key", str(keys / "alice.key"))
    assert given.returncode == 0, given.stderr
    assert "approvals: 1/1 for production, required by this checkout (alice (release_manager))" \
        in given.stdout
    assert "approvals: 0/1 for the verdict ()" in given.stdout
    # hostile case 164: sam's approval of staging's deploy, handed to production, is not one
    for_staging = tmp_path / "staging-approval.json"
    assert repo.run("approve", "--env", "staging", "--key", str(keys / "sam.key"), "-o",
                    str(for_staging)).returncode == 0
    half = repo.run("deploy", "--env", "production", "--dry-run", *deployer,
                    "--approval", str(for_staging))
    assert half.returncode == 2, half.stdout + half.stderr
    assert "approved the deploy to staging, not to production" in half.stdout
    # the release manager's approval meets production's requirement, never the verdict's
    assert "needs 1 more from security (asked by the verdict)" in half.stdout
    assert "needs 1 more from release_manager" not in half.stdout
    assert repo.run("approve", "--env", "production", "--key", str(keys / "sam.key")
                    ).returncode == 0
    done = repo.run("deploy", "--env", "production", "--dry-run", *deployer)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "approved by alice (release_manager)" in done.stdout
    assert "approved by sam (security)" in done.stdout
    assert "deployer: carol" in done.stdout
