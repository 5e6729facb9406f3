from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.gates.cov.changed import (
    _unquote,
    cap_listing,
    changed_lines,
    line_ranges,
    parse_unified_diff,
)
from tests.git_repo import git

if TYPE_CHECKING:
    from pathlib import Path

DIFF = """\
diff --git a/pkg/a.py b/pkg/a.py
index 1111111..2222222 100644
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -3 +3 @@ def f():
-    return 1
+    return 2
@@ -10,0 +11,3 @@ def g():
+    x = 1
+++ looks like a header but is an added line
+@@ -1 +1 @@ and so does this one
@@ -20,2 +23,0 @@
-    gone = 1
-    gone = 2
diff --git a/pkg/new.py b/pkg/new.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/pkg/new.py
@@ -0,0 +1,2 @@
+a = 1
+b = 2
diff --git a/pkg/old.py b/pkg/old.py
deleted file mode 100644
index 4444444..0000000
--- a/pkg/old.py
+++ /dev/null
@@ -1,2 +0,0 @@
-a = 1
-b = 2
diff --git a/pkg/moved.py b/pkg/renamed.py
similarity index 100%
rename from pkg/moved.py
rename to pkg/renamed.py
diff --git a/img.png b/img.png
index 5555555..6666666 100644
Binary files a/img.png and b/img.png differ
diff --git "a/pkg/sp\\303\\244ce \\"q\\".py" "b/pkg/sp\\303\\244ce \\"q\\".py"
--- "a/pkg/sp\\303\\244ce \\"q\\".py"
+++ "b/pkg/sp\\303\\244ce \\"q\\".py"
@@ -1 +1,2 @@
-x = 1
+x = 2
+y = 3
\\ No newline at end of file
"""


def test_parse_unified_diff() -> None:
    assert parse_unified_diff(DIFF) == {
        "pkg/a.py": {3, 11, 12, 13},
        "pkg/new.py": {1, 2},
        'pkg/späce "q".py': {1, 2},
    }


def test_parse_empty_diff() -> None:
    assert parse_unified_diff("") == {}


@pytest.mark.parametrize(
    ("quoted", "plain"),
    [
        ("b/plain.py", "b/plain.py"),
        ('"b/tab\\there.py"', "b/tab\there.py"),
        ('"b/\\303\\251t\\303\\251.py"', "b/été.py"),
        ('"b/back\\\\slash.py"', "b/back\\slash.py"),
    ],
)
def test_unquote(quoted: str, plain: str) -> None:
    assert _unquote(quoted) == plain


@pytest.mark.parametrize(
    ("lines", "text"),
    [
        ([], ""),
        ([5], "5"),
        ([3, 1, 2], "1-3"),
        ([1, 2, 3, 7, 9, 10], "1-3, 7, 9-10"),
        ([4, 4, 6], "4, 6"),
    ],
)
def test_line_ranges(lines: list[int], text: str) -> None:
    assert line_ranges(lines) == text


def test_cap_listing_orders_by_most_uncovered_and_caps() -> None:
    listing, left_out = cap_listing(
        {"a.py": {1}, "b.py": {1, 2, 5}, "c.py": {7, 8}, "d.py": set()}, 2
    )
    assert listing == {"b.py": "1-2, 5", "c.py": "7-8"}
    assert left_out == 1


def test_cap_listing_cuts_long_range_strings_at_a_boundary() -> None:
    listing, _ = cap_listing({"a.py": set(range(1, 400, 2))}, 5, max_chars=30)
    assert listing["a.py"].endswith(", ...")
    assert len(listing["a.py"]) <= 35
    assert listing["a.py"].startswith("1, 3, 5")


# -- real git repositories ---------------------------------------------------------------

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "pkg").mkdir()
    (root / "pkg" / "a.py").write_text("a = 1\nb = 2\nc = 3\n")
    (root / "pkg" / "b.py").write_text("x = 1\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return root


@requires_git
def test_changes_since_merge_base_include_commits_and_working_tree(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "pkg" / "a.py").write_text("a = 1\nb = 20\nc = 3\nd = 4\n")
    git(repo, "commit", "-q", "-am", "feature work")
    (repo / "pkg" / "b.py").write_text("x = 1\ny = 2\n")  # uncommitted
    # main moves on after the branch point: its changes are not ours
    git(repo, "checkout", "-q", "main")
    (repo / "pkg" / "c.py").write_text("z = 1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "main moves on")
    git(repo, "checkout", "-q", "feature")
    (repo / "pkg" / "b.py").write_text("x = 1\ny = 2\n")

    result = changed_lines("main", repo / "pkg")
    assert result.ok, result.reason
    real = os.path.realpath
    assert result.files == {
        real(repo / "pkg" / "a.py"): frozenset({2, 4}),
        real(repo / "pkg" / "b.py"): frozenset({2}),
    }
    assert result.merge_base == git(repo, "merge-base", "main", "HEAD").strip()


@requires_git
def test_user_diff_config_does_not_change_paths(repo: Path) -> None:
    git(repo, "config", "diff.noprefix", "true")
    git(repo, "config", "diff.mnemonicPrefix", "true")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "pkg" / "a.py").write_text("a = 1\nb = 2\nc = 30\n")
    result = changed_lines("main", repo)
    assert result.files == {os.path.realpath(repo / "pkg" / "a.py"): frozenset({3})}


@requires_git
def test_unknown_base_is_a_reason_not_an_empty_diff(repo: Path) -> None:
    result = changed_lines("origin/nope", repo)
    assert not result.ok
    assert "'origin/nope' not found" in str(result.reason)
    assert result.files == {}


@requires_git
def test_shallow_clone_without_base_says_so(repo: Path, tmp_path: Path) -> None:
    for n in range(3):
        (repo / "pkg" / "a.py").write_text(f"a = {n}\n")
        git(repo, "commit", "-q", "-am", f"c{n}")
    git(repo, "branch", "-q", "old", "HEAD~3")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "main", f"file://{repo}", str(clone))
    result = changed_lines("origin/old", clone)
    assert not result.ok
    assert "shallow clone" in str(result.reason)


@requires_git
def test_not_a_git_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = changed_lines("main", plain)
    assert not result.ok
    assert "not a git checkout" in str(result.reason)


def test_git_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_pyramid.run import _git

    # no git on the host's standard path nor on the PATH the process started with (found
    # once, at the process's start: run/_git.py begin)
    monkeypatch.setattr(_git, "_START", [(None, {"PATH": str(tmp_path)})])
    result = changed_lines("main", tmp_path)
    assert not result.ok
    assert "git is not installed" in str(result.reason)
