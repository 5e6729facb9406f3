"""deploy/releases.py: a release folder is reused only while it is the commit's tree and nothing
more. A file the commit does not track (planted, left by an earlier build, ignored by the
commit's .gitignore, or written by a version) makes it not match: a fresh checkout replaces it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.releases import MARKER, checkout
from tests.git_repo import commit, git

if TYPE_CHECKING:
    from pathlib import Path

TRACKED = {".gitignore": "*.db\n__pycache__/\n", "app.py": "import helper\n",
           "helper.py": "NAME = 'one'\n", "pkg/__init__.py": ""}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "repo"
    for name, text in TRACKED.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q")
    return root, commit(root)


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_an_untouched_release_is_reused(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, sha = repo
    folder = tmp_path / "releases" / sha
    assert checkout(root, sha, folder) is False  # made
    assert files(folder) == {*TRACKED, MARKER}
    assert checkout(root, sha, folder) is True  # verified, reused


@pytest.mark.parametrize("planted", [
    "json.py",  # untracked, beside the app: it shadows the standard library's json
    "pkg/extra.py",  # untracked, in a tracked folder
    "data.db",  # ignored by the commit's .gitignore: still not the commit's
    "pkg/__pycache__/helper.cpython-311.pyc",  # an ignored folder: a stale or forged bytecode
    ".hidden",
    "empty/",  # an empty folder: git tracks none, so the commit's tree has none
    "helper.py",  # a tracked file edited
])
def test_anything_but_the_commit_s_tree_is_not_reused(
    repo: tuple[Path, str], tmp_path: Path, planted: str
) -> None:
    root, sha = repo
    folder = tmp_path / "releases" / sha
    checkout(root, sha, folder)
    path = folder / planted
    path.parent.mkdir(parents=True, exist_ok=True)
    if planted.endswith("/"):
        path.mkdir(exist_ok=True)
    else:
        path.write_text("NAME = 'planted'\n")
    assert checkout(root, sha, folder) is False  # not reused: checked out again
    assert files(folder) == {*TRACKED, MARKER}
    assert (folder / "helper.py").read_text() == TRACKED["helper.py"]
    assert not (folder / "empty").exists()
    (aside,) = [p for p in folder.parent.iterdir() if p.name.startswith(f".{sha}.stale-")]
    assert (aside / planted).exists()  # set aside as it was, never deleted (it may be in use)


@pytest.mark.parametrize("how", ["HOME", "XDG_CONFIG_HOME", "PATH"])
def test_the_caller_s_environment_does_not_choose_git_s_configuration_or_git(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Hostile case 226: a smudge filter in a configuration the caller's HOME or
    XDG_CONFIG_HOME names, or a `git` first on the caller's PATH, rewrote the release as it
    was checked out. The release is the commit's bytes."""
    root, sha = repo
    evil = tmp_path / "evil"
    config = "[filter \"x\"]\n\tsmudge = sed s/one/EVIL/\n[core]\n\tattributesFile = " \
        f"{evil / 'attributes'}\n"
    (evil / "git").mkdir(parents=True)
    (evil / "attributes").write_text("* filter=x\n")
    (evil / ".gitconfig").write_text(config)
    (evil / "git" / "config").write_text(config)
    fake = evil / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho planted > /dev/null; exit 1\n")
    fake.chmod(0o755)
    value = {"HOME": str(evil), "XDG_CONFIG_HOME": str(evil),
             "PATH": f"{fake.parent}:{os.environ['PATH']}"}[how]
    monkeypatch.setenv(how, value)
    folder = tmp_path / "releases" / sha
    checkout(root, sha, folder)  # a fake git first on PATH would fail it
    assert (folder / "helper.py").read_text() == "NAME = 'one'\n"


def test_a_release_folder_set_aside_is_deleted_once_no_process_runs_from_it(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    """A folder set aside (``.<sha>.stale-*``) is kept while a version runs from it (its
    working folder, or a file of it held open), then deleted; the commit's own release
    folder (serving, previous) is never a candidate."""
    import subprocess

    from pytest_pyramid.deploy.releases import prune_stale

    root, sha = repo
    folder = tmp_path / "releases" / sha
    checkout(root, sha, folder)
    (folder / "data.db").write_text("first")  # a version's own file
    from_cwd = subprocess.Popen(["sleep", "600"], cwd=folder)  # runs from the release
    checkout(root, sha, folder)
    (folder / "data.db").write_text("second")
    with (folder / "app.py").open() as held:
        from_fd = subprocess.Popen(["sleep", "600"], stdin=held, cwd=tmp_path)
    checkout(root, sha, folder)
    aside = {(p / "data.db").read_text(): p for p in folder.parent.iterdir() if p.name != sha}
    first, second = aside["first"], aside["second"]
    try:
        assert prune_stale(folder.parent) == []  # each still runs a version
        from_cwd.kill()
        from_cwd.wait()
        assert prune_stale(folder.parent) == [first]
        from_fd.kill()
        from_fd.wait()
        assert prune_stale(folder.parent) == [second]
    finally:
        for process in (from_cwd, from_fd):
            process.kill()
            process.wait()
    assert [p.name for p in folder.parent.iterdir()] == [sha]
    assert checkout(root, sha, folder) is True  # the release itself untouched


@pytest.mark.parametrize("how", ["smudge", "eol"])
def test_the_repository_s_own_filters_and_conversions_never_rewrite_a_release(
    repo: tuple[Path, str], tmp_path: Path, how: str
) -> None:
    """Hostile case 274: the checkout's own .git/info/attributes and .git/config (no tracked
    file, `git status` clean) made git rewrite every release (a smudge filter; an eol rule),
    and git compared the release through the same filter. The bytes are hashed as they are."""
    from pytest_pyramid.deploy.releases import ReleaseError

    root, sha = repo
    folder = tmp_path / "releases" / sha
    checkout(root, sha, folder)  # before: a clean release, reused while untouched
    (root / ".git" / "info").mkdir(exist_ok=True)
    if how == "smudge":
        (root / ".git" / "info" / "attributes").write_text("* filter=x\n")
        git(root, "config", "filter.x.smudge", "sed s/one/EVIL/")
        git(root, "config", "filter.x.clean", "sed s/EVIL/one/")  # git sees no change
    else:
        (root / ".git" / "info" / "attributes").write_text("* text eol=crlf\n")
    (folder / "helper.py").write_bytes(b"NAME = 'EVIL'\n" if how == "smudge"
                                       else b"NAME = 'one'\r\n")  # what such git writes
    unlike = r"is not the commit's bytes \((helper\.py|\.gitignore)\)"
    with pytest.raises(ReleaseError, match=unlike):
        checkout(root, sha, folder)  # not reused; a fresh checkout is refused, naming a file
    fresh = tmp_path / "elsewhere" / sha
    with pytest.raises(ReleaseError, match="a release is the commit's blobs, byte for byte"):
        checkout(root, sha, fresh)
    assert not fresh.exists()


def test_a_commit_with_a_submodule_is_refused_naming_it(repo: tuple[Path, str],
                                                        tmp_path: Path) -> None:
    """Hostile case 465: a gitlink's files are not in the commit's tree, so a release of it
    is not what was tested (the tests ran with the submodule checked out): refused, never
    shipped without it. The control commit (no gitlink) has no such problem."""
    from pytest_pyramid.deploy.releases import ReleaseError, whole_tree_problem

    root, sha = repo
    assert whole_tree_problem(root, sha) is None
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{sha},flags")
    git(root, "commit", "-qm", "flags as a submodule")
    linked = git(root, "rev-parse", "HEAD")
    problem = whole_tree_problem(root, linked)
    assert problem is not None
    assert f"submodule(s) flags ({sha[:12]})" in problem
    with pytest.raises(ReleaseError, match=r"submodule\(s\) flags"):
        checkout(root, linked, tmp_path / "releases" / linked)
    assert not (tmp_path / "releases" / linked).exists()
