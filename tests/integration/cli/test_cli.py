"""``pyramid check``, ``attest`` and ``keygen``: exit codes, trust rules, signatures, and
bad input that must never become a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_pyramid.cli import main
from tests.git_repo import git
from tests.verdict_factory import COMMIT, make_verdict


def write(tmp_path: Path, data: object, name: str = "verdict.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture
def outside_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory outside any git repository (no HEAD to compare with)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def check_outside(args: list[str]) -> int:
    """``pyramid check`` outside git: bound to the factory's commit unless a test names one."""
    return main(["check", *args] if "--commit" in args else ["check", *args, "--commit", COMMIT])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with one commit, as the current directory."""
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("*.json\n*.jsonl\n*.key\n*.pub\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    return tmp_path


def verdict_for_head(repo: Path, decision: str = "ready", **changes: Any) -> dict[str, Any]:
    """A verdict for the repository's HEAD and its current tree, as the plugin writes."""
    from pytest_pyramid.verdict.provenance import read_git_info

    info = read_git_info(repo)
    base = {
        "commit": info.commit,
        "dirty": info.dirty,
        "tree": {"digest": info.tree, "head": info.head_tree, "excluded": list(info.excluded)},
    }
    return make_verdict(decision, **{**base, **changes})


def signed(folder: Path, path: str) -> list[str]:
    """Sign the verdict at ``path`` with a fresh key: the arguments that trust that key."""
    assert main(["keygen", str(folder / "signer")]) == 0
    assert main(["attest", path, "--key", str(folder / "signer.key")]) == 0
    return ["--trusted-key", str(folder / "signer.pub")]


# -- decisions and exit codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "code"),
    [("ready", 0), ("blocked", 1), ("incomplete", 1), ("needs_approval", 2)],
)
def test_check_exit_code_follows_the_decision(
    repo: Path, capsys: pytest.CaptureFixture[str], decision: str, code: int
) -> None:
    assert main(["check", write(repo, verdict_for_head(repo, decision))]) == code
    out = capsys.readouterr().out
    assert f"decision: {decision.upper()}" in out
    if decision == "blocked":
        assert "one finding" in out


@pytest.mark.parametrize(
    ("args", "data", "message"),
    [
        (["--commit", "fedcba9"], make_verdict(), "not fedcba9"),
        (["--commit", COMMIT[:8]], make_verdict(commit=None), "records no commit"),
        (["--max-age", "1h"], make_verdict(age=timedelta(hours=2)), "older than"),
        ([], make_verdict(age=-timedelta(hours=1)), "lies in the future"),
        ([], make_verdict(dirty=True), "changes not in its commit"),
        (
            [],
            make_verdict(tree={"digest": "a" * 40, "head": "b" * 40, "excluded": []}),
            "says clean, but the tree it tested differs",
        ),
        (
            [],
            make_verdict(tree={"digest": "a" * 40, "head": "a" * 40, "excluded": ["**"]}),
            "not a run artifact",
        ),
        ([], {"decision": "ready"}, "schema"),
        (
            [],
            make_verdict(
                decision="ready", consistent=False, gates=make_verdict("blocked")["gates"]
            ),
            "its own gates and tiers give 'blocked'",
        ),
    ],
)
def test_check_refuses_untrusted_verdicts_with_exit_3(
    outside_git: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    data: dict[str, Any],
    message: str,
) -> None:
    assert check_outside([write(outside_git, data), *args]) == 3
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_refusal_stays_exit_1_and_shows_its_trust_problems(
    outside_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_verdict("blocked", commit=None, age=timedelta(days=9))
    assert check_outside([write(outside_git, data), "--max-age", "1h", "--commit", COMMIT]) == 1
    err = capsys.readouterr().err
    assert "note: the verdict records no commit" in err
    assert "older than" in err


@pytest.mark.parametrize("given", [COMMIT, COMMIT[:7], COMMIT[:10].upper()])
def test_check_accepts_the_same_commit_by_sha_or_prefix(outside_git: Path, given: str) -> None:
    path = write(outside_git, make_verdict())
    assert check_outside([path, "--commit", given, *signed(outside_git, path)]) == 0


@pytest.mark.parametrize("given", [COMMIT[:6], "", "not-a-sha"])
def test_check_refuses_a_short_empty_or_unknown_commit(
    outside_git: Path, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    assert check_outside([write(outside_git, make_verdict()), "--commit", given]) == 3
    assert capsys.readouterr().err.startswith("pyramid check: --commit")


def test_bad_usage_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "v.json", "--max-age", "soon"]) == 3
    assert "soon" in capsys.readouterr().err
    assert main(["frobnicate"]) == 3


def test_a_ready_verdict_outside_git_needs_the_commit_it_vouches_for(
    outside_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(outside_git, make_verdict())
    assert main(["check", path]) == 3
    assert "not bound to any commit" in capsys.readouterr().err
    assert main(["check", path, "--commit", COMMIT, *signed(outside_git, path)]) == 0
    assert main(["check", write(outside_git, make_verdict("blocked"))]) == 1


@pytest.mark.parametrize("decision", ["ready", "needs_approval"])
def test_outside_the_checkout_an_unsigned_verdict_cannot_pass(
    outside_git: Path, capsys: pytest.CaptureFixture[str], decision: str
) -> None:
    """Hostile case 196 d: the commit's require_signature cannot be read outside its checkout,
    and missing data is never a pass. A blocked verdict stays exit 1; a verdict signed by a
    trusted key passes whatever the commit asks; --require-signature asks it here."""
    path = write(outside_git, make_verdict(decision))
    assert check_outside([path]) == 3
    err = capsys.readouterr().err
    assert f"cannot read [tool.pyramid.deploy] require_signature of commit {COMMIT[:12]}" in err
    assert "inside a checkout of it, or pass --require-signature" in err
    assert len(err.strip().splitlines()) == 1
    assert check_outside([path, "--require-signature"]) == 3
    assert "not signed" in capsys.readouterr().err
    assert check_outside([write(outside_git, make_verdict("blocked"), "b.json")]) == 1
    trusting = signed(outside_git, path)
    code = {"ready": 0, "needs_approval": 2}[decision]
    assert check_outside([path, *trusting]) == code
    assert check_outside([path, *trusting, "--require-signature"]) == code


def test_the_commit_s_own_require_signature_counts_from_anywhere(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hostile case 196: the commit tracks require_signature = true. In its checkout (any
    folder, any commit named) the commit's table says so; from outside it, nothing is read,
    so nothing unsigned passes; an edited table (a dirty verdict, --allow-dirty) is not the
    commit's; the host's pin asks it too."""
    from pytest_pyramid.deploy import host_pins

    (repo / ".gitignore").write_text("*.json\n*.jsonl\n*.key\n*.pub\nscratch/\nhost/\n")
    (repo / "pyproject.toml").write_text("[tool.pyramid.deploy]\nrequire_signature = true\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "sign")
    sha = git(repo, "rev-parse", "HEAD")
    path = write(repo, verdict_for_head(repo))
    for args in ([], ["--commit", "HEAD"], ["--commit", sha[:9]]):
        assert main(["check", path, *args]) == 3
        assert "not signed, and a signature is required" in capsys.readouterr().err
    (repo / "src").mkdir()
    monkeypatch.chdir(repo / "src")  # the project is found upward, in the commit too
    assert main(["check", path]) == 3
    assert "not signed" in capsys.readouterr().err
    monkeypatch.chdir(repo)
    (repo / "pyproject.toml").write_text("[tool.pyramid.deploy]\n")
    dirty = write(repo, verdict_for_head(repo), "dirty.json")
    assert main(["check", dirty, "--allow-dirty"]) == 3
    assert "differs from the checkout's commit (HEAD), an uncommitted edit" in \
        capsys.readouterr().err
    git(repo, "checkout", "pyproject.toml")
    outside = repo.parent / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(repo.parent))
    assert main(["check", path, "--commit", sha]) == 3
    assert "cannot read [tool.pyramid.deploy] require_signature" in capsys.readouterr().err
    host = repo / "host"
    host.mkdir()
    (host / "deploy.toml").write_text("require_signature = true\n")
    monkeypatch.setattr(host_pins, "HOST_ROOTS", (host,))
    assert main(["check", path, "--commit", sha]) == 3
    assert "not signed, and a signature is required" in capsys.readouterr().err
    assert main(["check", path, "--commit", sha, *signed(repo, path)]) == 0


def test_version_and_module_entry_point() -> None:
    from pytest_pyramid import __version__

    result = subprocess.run(
        [sys.executable, "-m", "pytest_pyramid", "--version"], capture_output=True, text=True
    )
    assert (result.returncode, result.stdout.strip()) == (0, f"pyramid {__version__}")
    result = subprocess.run(
        [sys.executable, "-m", "pytest_pyramid", "--bogus"], capture_output=True, text=True
    )
    assert result.returncode == 3


# -- the tree that was tested ------------------------------------------------------------------


def test_check_against_head_compares_the_working_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(repo, verdict_for_head(repo))
    assert main(["check", path]) == 0
    assert main(["check", path, "--commit", "HEAD"]) == 0
    (repo / "app.py").write_text("x = 2  # edited after the run\n")
    assert main(["check", path]) == 3
    assert "tree changed since the run" in capsys.readouterr().err
    (repo / "app.py").write_text("x = 1\n")
    assert main(["check", path]) == 0
    (repo / "new_module.py").write_text("import os\n")  # untracked source counts
    assert main(["check", path]) == 3


def test_a_dirty_verdict_needs_allow_dirty_and_the_same_dirty_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "app.py").write_text("x = 3\n")
    data = verdict_for_head(repo)
    assert data["dirty"] is True
    path = write(repo, data)
    (repo / "notes.txt").write_text("new\n")
    data = verdict_for_head(repo)
    path = write(repo, data)
    assert main(["check", path]) == 3
    err = capsys.readouterr().err
    assert "changes not in its commit" in err
    assert "pass --allow-dirty to accept them; changed: app.py, notes.txt" in err
    assert main(["check", path, "--allow-dirty"]) == 0
    assert "--allow-dirty" in capsys.readouterr().out
    (repo / "app.py").write_text("x = 4\n")
    assert main(["check", path, "--allow-dirty"]) == 3


def test_check_an_older_commit_by_its_own_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = verdict_for_head(repo)
    first = git(repo, "rev-parse", "HEAD")
    (repo / "app.py").write_text("x = 5\n")
    git(repo, "commit", "-qam", "two")
    path = write(repo, old)
    assert main(["check", path]) == 3  # HEAD moved on
    assert main(["check", path, "--commit", first[:9]]) == 0
    assert main(["check", path, "--commit", "HEAD~1"]) == 0


# -- signatures --------------------------------------------------------------------------------


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    assert main(["keygen", str(tmp_path / "ci")]) == 0
    return tmp_path / "ci.key", tmp_path / "ci.pub"


def test_keygen_writes_a_private_key_only_its_owner_reads(keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert private.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in private.read_bytes()
    assert b"PUBLIC KEY" in public.read_bytes()
    assert main(["keygen", str(private.with_suffix(""))]) == 3  # never overwritten silently


def test_attest_then_check_with_the_trusted_key(
    outside_git: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    private, public = keys
    path = write(outside_git, make_verdict())
    assert main(["attest", path, "--key", str(private)]) == 0
    envelope = Path(path + ".intoto.jsonl")
    assert envelope.exists()
    assert check_outside([path, "--trusted-key", str(public), "--require-signature"]) == 0
    assert "signed by a trusted key" in capsys.readouterr().out

    # edited after signing: the content no longer matches what was signed
    data = json.loads(Path(path).read_text())
    data["created_at"] = make_verdict()["created_at"].replace("Z", ".5Z")
    Path(path).write_text(json.dumps(data))
    assert check_outside([path, "--trusted-key", str(public)]) == 3
    assert "differs from this file" in capsys.readouterr().err


def test_a_signature_by_an_untrusted_key_or_none_at_all_is_refused(
    outside_git: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    public = keys[1]
    assert main(["keygen", str(outside_git / "other")]) == 0
    path = write(outside_git, make_verdict())
    assert check_outside([path, "--require-signature"]) == 3
    assert "not signed" in capsys.readouterr().err
    assert main(["attest", path, "--key", str(outside_git / "other.key")]) == 0
    assert check_outside([path, "--trusted-key", str(public)]) == 3
    assert "no signature verifies with a trusted key" in capsys.readouterr().err
    # rotation: several trusted keys, any one of them may have signed
    other = str(outside_git / "other.pub")
    assert check_outside([path, "--trusted-key", str(public), "--trusted-key", other]) == 0


def test_a_tree_cannot_vouch_for_its_own_signer(
    outside_git: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The checked repository lists a key its own commit added: signatures by it count only
    when the key is pinned outside the repository."""
    private, public = keys
    assert main(["keygen", str(outside_git / "mallory")]) == 0
    (outside_git / "pyproject.toml").write_text(
        '[tool.pyramid.deploy]\ntrusted_keys = ["mallory.pub"]\nrequire_signature = true\n'
    )
    path = write(outside_git, make_verdict())
    assert check_outside([path]) == 3
    assert "not signed" in capsys.readouterr().err
    assert main(["attest", path, "--key", str(outside_git / "mallory.key")]) == 0
    assert check_outside([path]) == 3
    err = capsys.readouterr().err
    assert "no trusted public key is pinned outside the tree" in err
    assert "trusted_keys of the checked tree are not used" in err
    monkeypatch.setenv("PYRAMID_TRUSTED_KEYS", str(public))
    assert check_outside([path]) == 3
    assert "no signature verifies with a trusted key" in capsys.readouterr().err
    assert main(["attest", path, "--key", str(private)]) == 0
    assert check_outside([path]) == 0


@pytest.mark.parametrize(
    ("file", "header"),
    [("pyproject.toml", "[tool.pyramid.deploy]"), ("pyramid.toml", "[deploy]")],
)
def test_require_signature_counts_in_either_project_file(
    outside_git: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    file: str, header: str,
) -> None:
    """Issue 21, defect 1: ``pyramid check`` read [deploy] from pyproject.toml only, so in a
    project configured by a standalone pyramid.toml ``require_signature = true`` read as
    false and an unsigned verdict passed. Run from a subfolder: the project is found upward."""
    (outside_git / file).write_text(f"{header}\nrequire_signature = true\n")
    path = write(outside_git, make_verdict())
    sub = outside_git / "src"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert check_outside([path]) == 3
    assert "not signed" in capsys.readouterr().err


def test_both_project_files_in_one_folder_is_exit_3(
    outside_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One of them would be silently ignored: refused, naming both."""
    (outside_git / "pyproject.toml").write_text("[tool.pyramid]\n")
    (outside_git / "pyramid.toml").write_text("[deploy]\nrequire_signature = true\n")
    assert check_outside([write(outside_git, make_verdict())]) == 3
    err = capsys.readouterr().err
    assert "pyramid.toml" in err
    assert "keep one of them" in err
    assert "Traceback" not in err


def test_check_s_keys_may_only_narrow_the_host_s(
    outside_git: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deploy gate's rule (deploy/host_pins.py): once the host pins keys, --trusted-key and
    PYRAMID_TRUSTED_KEYS may name only those (hostile case 165)."""
    from pytest_pyramid.deploy import host_pins

    private, public = keys
    host = outside_git / "host"
    host.mkdir()
    (host / "trusted_keys").write_text(f"{public}\n")
    monkeypatch.setattr(host_pins, "HOST_ROOTS", (host,))
    assert main(["keygen", str(outside_git / "mallory")]) == 0
    path = write(outside_git, make_verdict())
    assert main(["attest", path, "--key", str(outside_git / "mallory.key")]) == 0
    assert check_outside([path, "--trusted-key", str(outside_git / "mallory.pub")]) == 3
    err = capsys.readouterr().err
    assert "a key the host does not pin" in err
    assert str(host / "trusted_keys") in err
    monkeypatch.setenv("PYRAMID_TRUSTED_KEYS", str(outside_git / "mallory.pub"))
    assert check_outside([path]) == 3
    assert "PYRAMID_TRUSTED_KEYS names" in capsys.readouterr().err
    monkeypatch.delenv("PYRAMID_TRUSTED_KEYS")
    assert check_outside([path]) == 3  # the host's key: mallory's signature does not verify
    assert "no signature verifies with a trusted key" in capsys.readouterr().err
    assert main(["attest", path, "--key", str(private)]) == 0
    assert check_outside([path, "--trusted-key", str(public)]) == 0


def test_attest_refuses_a_verdict_that_contradicts_itself(
    outside_git: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = make_verdict("ready", consistent=False, gates=make_verdict("blocked")["gates"])
    assert main(["attest", write(outside_git, bad), "--key", str(keys[0])]) == 3
    assert "contradicts itself" in capsys.readouterr().err


def test_the_envelope_verifies_with_securesystemslib(
    outside_git: Path, keys: tuple[Path, Path]
) -> None:
    """Interoperability: a standard DSSE implementation accepts our envelope and key id."""
    dsse = pytest.importorskip("securesystemslib.dsse")
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

    private, public = keys
    data = make_verdict()
    path = write(outside_git, data)
    assert main(["attest", path, "--key", str(private)]) == 0
    envelope = dsse.Envelope.from_dict(json.loads(Path(path + ".intoto.jsonl").read_text()))
    key = SSlibKey.from_crypto(load_pem_public_key(public.read_bytes()))
    accepted = envelope.verify([key], 1)
    assert list(accepted) == [key.keyid]
    statement = json.loads(envelope.payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicate"] == data
    assert {"name": "commit", "digest": {"gitCommit": COMMIT}} in statement["subject"]


# -- bad input: exit 3 with one line, never a traceback ------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"", "empty"),
        (b"{", "not valid JSON"),
        (b"[" * 100_000, "nested deeper"),
        (b'{"schema_version": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (json.dumps({"a": "\ud800"}).encode(), "lone surrogate"),
        (b'{"a": NaN}', "NaN"),
        (b'{"decision": "blocked", "decision": "ready"}', "appears twice"),
    ],
)
def test_check_on_broken_files_is_exit_3(
    outside_git: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = outside_git / "v.json"
    path.write_bytes(content)
    assert check_outside([str(path)]) == 3
    err = capsys.readouterr().err
    assert message in err
    assert str(path) in err
    assert len(err.strip().splitlines()) == 1


def test_check_on_a_directory_or_impossible_date_is_exit_3(
    outside_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_outside([str(outside_git)]) == 3
    assert "is a directory" in capsys.readouterr().err
    data = make_verdict(created_at="2026-02-30T10:00:00Z")
    assert check_outside([write(outside_git, data), "--max-age", "1h"]) == 3
    assert "not a valid date-time" in capsys.readouterr().err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _fuzzed_verdict(value: object, key: str) -> dict[str, Any]:
    data = make_verdict()
    data[key] = value
    return data


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.builds(
            _fuzzed_verdict,
            json_values,
            st.sampled_from(
                [
                    "decision",
                    "gates",
                    "tiers",
                    "run",
                    "created_at",
                    "tree",
                    "completeness",
                    "commit",
                    "risk",
                    "dirty",
                ]
            ),
        ).map(lambda v: json.dumps(v, allow_nan=True).encode()),
    )
)
def test_check_never_raises_on_any_input(outside_git: Path, raw: bytes) -> None:
    path = outside_git / "fuzz.json"
    path.write_bytes(raw)
    for extra in ([], ["--max-age", "1h"], ["--commit", COMMIT]):
        code = check_outside([str(path), *extra])
        assert code in (0, 1, 2, 3)


def test_check_in_a_subprocess_prints_no_traceback(outside_git: Path) -> None:
    path = outside_git / "v.json"
    path.write_bytes(b'{"schema_version": 2, "decision": "ready", "gates": [[[[[]]]]]}')
    result = subprocess.run(
        [sys.executable, "-m", "pytest_pyramid", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=outside_git,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr


def test_an_edit_with_its_size_and_mtime_put_back_still_changes_the_digest(repo: Path) -> None:
    """The digest hashes content: git's stat cache would trust a file whose size and mtime
    look unchanged, and a hostile edit after the run can restore both."""
    import os

    from pytest_pyramid.verdict.provenance import read_git_info

    before = read_git_info(repo).tree
    app = repo / "app.py"
    stat = app.stat()
    app.write_text("x = 9\n")  # same size
    os.utime(app, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert read_git_info(repo).tree != before


@pytest.mark.parametrize(
    ("excluded", "message"),
    [
        (["app.py"], "is code, not a run output"),
        (["notes.txt"], "a file the commit holds"),
        (["**/*.py"], "not a run artifact"),
    ],
)
def test_a_verdict_cannot_exclude_the_code_it_names(
    repo: Path, capsys: pytest.CaptureFixture[str], excluded: list[str], message: str
) -> None:
    (repo / "notes.txt").write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "notes")
    data = verdict_for_head(repo)
    data["tree"]["excluded"] = [*data["tree"]["excluded"], *excluded]
    assert main(["check", write(repo, data)]) == 3
    assert message in capsys.readouterr().err


def test_check_without_a_path_reads_the_configured_verdict(
    outside_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (outside_git / "pyproject.toml").write_text('[tool.pyramid]\nverdict = "out/v.json"\n')
    (outside_git / "out").mkdir()
    write(outside_git / "out", make_verdict(), name="v.json")
    assert main(["check", "--commit", COMMIT]) == 3  # unsigned, outside its commit's checkout
    assert f"{outside_git / 'out' / 'v.json'}: cannot read" in capsys.readouterr().err
    (outside_git / "pyproject.toml").write_text("[tool.pyramid.deploy]\nbake = 'soon'\n")
    assert main(["check", "--commit", COMMIT]) == 3
    assert "deploy.bake" in capsys.readouterr().err
