"""Case 148: what a ``git`` command the tests start reads beyond the commit the verdict names
(``run/git_reads.py``), as git reads its command line. Pure rows; the recorder's end to end
is tests/integration/run/test_git_reads.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.early import VARIABLE
from pytest_pyramid.run.git_reads import commands, reads, record, repository, this_repository

if TYPE_CHECKING:
    from pathlib import Path


OPTION = ("(an option that selects refs or objects other than its revision words, or one "
          "this reading does not know)")


@pytest.mark.parametrize(("argv", "named"), [
    # reads the working tree, the index or HEAD only
    (["git", "status", "--porcelain"], []),
    (["git", "ls-files", "-z"], []),
    (["git", "-C", "sub", "add", "x"], []),
    (["/usr/bin/git", "rev-parse", "--show-toplevel"], []),
    (["git", "show", "HEAD:expected.txt"], []),
    (["git", "cat-file", "-p", "HEAD^{tree}"], []),
    (["git", "cat-file", "blob", "@:expected.txt"], []),
    (["git", "log", "-n", "5", "--format=%H"], []),  # HEAD by default; 5 is -n's value
    (["git", "diff", "--stat"], []),
    (["git", "grep", "needle"], []),  # the pattern is no revision
    (["git", "diff", "HEAD", "--", "golden"], []),  # after --: paths
    # names another object
    (["git", "show", "golden:expected.txt"], ["golden:expected.txt"]),
    (["git", "--no-pager", "-c", "x.y=1", "show", "v1.0"], ["v1.0"]),
    (["git", "diff", "main..HEAD"], ["main"]),
    (["git", "log", "^origin/main", "HEAD"], ["origin/main"]),
    (["git", "show", "HEAD~1:expected.txt"], ["HEAD~1:expected.txt"]),
    (["git", "show", ":expected.txt"], [":expected.txt"]),  # the index, not the tree
    (["git", "cat-file", "-p", "0123abcd"], ["0123abcd"]),
    (["git", "grep", "-e", "needle", "golden"], ["golden"]),
    (["git", "checkout", "golden", "--", "expected.txt"], ["golden"]),
    (["git", "cat-file", "--batch"], ["git cat-file --batch (object names from its input)"]),
    # reads other refs or objects by what it is
    (["git", "stash", "show", "-p"], ["git stash"]),
    (["git", "notes", "show"], ["git notes"]),
    (["git", "describe", "--tags"], ["git describe"]),
    (["git", "frobnicate"], ["git frobnicate"]),  # not in the table: named
    # HEAD moved: what is read from it afterwards is not the verdict's commit (case 182)
    (["git", "commit", "-qm", "msg"], ["git commit (moves HEAD away from the commit the "
                                        "verdict names)"]),
    # options that select refs, reflogs, other revisions or the index (hostile case 172)
    (["git", "log", "--all", "-p"], [f"git log --all {OPTION}"]),
    (["git", "log", "--branches=gold*"], [f"git log --branches=gold* {OPTION}"]),
    (["git", "log", "-g", "-p"], [f"git log -g {OPTION}"]),
    (["git", "restore", "--source=golden", "--", "x"], [f"git restore --source=golden {OPTION}"]),
    (["git", "diff", "--cached"], [f"git diff --cached {OPTION}"]),
    (["git", "grep", "--untracked", "needle"], [f"git grep --untracked {OPTION}"]),
    (["git", "log", "-n5", "-5", "--oneline", "--format=%H", "--stat"], []),  # output only
    (["git", "rev-parse", "--abbrev-ref", "HEAD"], []),
    (["git", "show", "-s", "--format=%ci", "HEAD"], []),
    (["git", "blame", "-L", "1,5", "--porcelain", "--", "x"], []),
    # git started another way (hostile case 173): the words are read as the wrapper runs them
    (["env", "git", "show", "golden:x"], ["golden:x"]),
    (["nice", "-n", "5", "git", "show", "golden:x"], ["golden:x"]),
    (["GIT_PAGER=cat", "git", "show", "golden:x"], ["golden:x"]),
    (["/usr/lib/git-core/git-show", "golden:x"], ["golden:x"]),  # git's own program
    (["xargs", "git", "show"], ["git show (revisions from its input, as xargs gives them)"]),
    # not git
    (["python", "show", "golden:x"], []),
    (["git"], []),
])
def test_what_a_git_command_reads_beyond_head(
    tmp_path: Path, argv: list[str], named: list[str],
) -> None:
    assert reads(argv, str(tmp_path)) == named


def test_an_existing_path_is_a_path_as_git_tells_them_apart(tmp_path: Path) -> None:
    (tmp_path / "expected.txt").write_text("42\n")
    assert reads(["git", "log", "expected.txt"], str(tmp_path)) == []
    assert reads(["git", "log", "missing.txt"], str(tmp_path)) == ["missing.txt"]


@pytest.mark.parametrize(("argv", "lines"), [
    (["git", "show", "x"], [["git", "show", "x"]]),
    (["/bin/sh", "-c", "git show golden:a | sort; git status"],
     [["git", "show", "golden:a"], ["sort"], ["git", "status"]]),
    (["bash", "-c", "echo 'unbalanced"], []),
    (["git show golden:a && true"], [["git", "show", "golden:a"], ["true"]]),  # os.system
    (["sh", "-c", "echo $(git show golden:a)"], [["echo", "$"], ["git", "show", "golden:a"]]),
    # issue 19: the shell found behind wrappers with options, a string inside a string
    (["nice", "-n", "5", "sh", "-c", "git show golden:a"], [["git", "show", "golden:a"]]),
    (["timeout", "10", "bash", "-c", "sh -c 'git stash show'"], [["git", "stash", "show"]]),
    (["which", "sh", "-c", "git show golden:a"], [["which", "sh", "-c", "git show golden:a"]]),
])
def test_a_shells_command_is_read_as_its_simple_commands(
    argv: list[str], lines: list[list[str]],
) -> None:
    assert commands(argv) == lines


def test_only_a_git_command_on_this_repository_counts(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "tests/other/.git").mkdir(parents=True)  # a repository a test made inside
    real = str(root.resolve())
    assert this_repository(str(root / "tests"), real, None)
    assert not this_repository(str(root / "tests/other"), real, None)
    assert not this_repository(str(tmp_path), real, None)
    assert this_repository(str(tmp_path), real, {"GIT_DIR": str(root / ".git")})
    assert not this_repository(str(root), real, {"GIT_DIR": str(tmp_path / "x/.git")})


def test_a_repository_inside_is_another_repository(tmp_path: Path) -> None:
    """Case 174: a bare repository or a clone under the repository is not the one the verdict
    names; a submodule's (or a worktree's) ``.git`` file is its gitlink's, left alone."""
    root = (tmp_path / "repo").resolve()
    (root / ".git").mkdir(parents=True)
    (root / "golden.git").mkdir()
    (root / "vendor/clone/.git").mkdir(parents=True)
    (root / "vendor/sub").mkdir()
    (root / "vendor/sub/.git").write_text("gitdir: ../../.git/modules/sub\n")
    top = str(root)
    assert repository(top, top, None) == top
    assert repository(str(root / "vendor"), top, None) == top
    assert repository(top, top, "golden.git") == str(root / "golden.git")
    assert repository(top, top, ".git") == top
    assert repository(str(root / "vendor/clone"), top, None) == str(root / "vendor/clone")
    assert repository(str(root / "vendor/sub"), top, None) is None
    assert repository(str(tmp_path), top, None) is None


def test_a_git_command_is_judged_with_the_environment_it_inherits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Case 173 (g): ``GIT_DIR`` inherited from the test's own environment points git run
    outside the repository at it; a repository a test made inside during the run is its own
    output (case 174's exception)."""
    root = (tmp_path / "repo").resolve()
    (root / ".git").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.setenv(VARIABLE, '{"started_ns": 0}')
    found: dict[str, str] = {}
    record(["git", "show", "golden:x"], str(outside), None, str(root), found)
    assert not found
    monkeypatch.setenv("GIT_DIR", str(root / ".git"))
    record(["git", "show", "golden:x"], str(outside), None, str(root), found)
    assert list(found) == [str(root / ".git/golden:x")]
    monkeypatch.delenv("GIT_DIR")
    found.clear()  # a shell that moves to a scratch folder first commits there, not here
    record(["sh", "-c", f"cd {outside} && git init -q && git commit -qm x"], str(root), None,
           str(root), found)
    assert not found
    record(["sh", "-c", f"cd {outside} && cd {root} && git commit -qm x"], str(root), None,
           str(root), found)
    assert list(found) == [str(root / ".git/git commit (moves HEAD away from the commit the "
                               "verdict names)")]
    (root / "made/.git").mkdir(parents=True)
    (root / "made/.git/HEAD").write_text("ref: refs/heads/main\n")
    found.clear()
    record(["git", "-C", "made", "show", "HEAD:x"], str(root), None, str(root), found)
    assert not found  # made after the run's start (0): the run's own
    monkeypatch.setenv(VARIABLE, f'{{"started_ns": {2**62}}}')
    record(["git", "-C", "made", "show", "HEAD:x"], str(root), None, str(root), found)
    assert list(found) == [str(root / "made")]


def test_git_under_another_name_is_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: git linked or copied under another name is known by its file."""
    import shutil

    git = shutil.which("git")
    assert git is not None
    root = (tmp_path / "repo").resolve()
    (root / ".git").mkdir(parents=True)
    (tmp_path / "g").symlink_to(git)
    monkeypatch.setenv(VARIABLE, '{"started_ns": 0}')
    found: dict[str, str] = {}
    record([str(tmp_path / "g"), "show", "golden:x"], str(root), None, str(root), found)
    record(["nice", "-n", "5", str(tmp_path / "g"), "stash", "show"], str(root), None,
           str(root), found)
    assert sorted(found) == [str(root / ".git/git stash"), str(root / ".git/golden:x")]
