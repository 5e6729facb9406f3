"""Blob and tree ids computed in-process are git's (the ids below are git's own answers, from
``git hash-object`` and ``git write-tree``), and the exclusion globs match as git's
``:(glob)`` pathspecs do."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.verdict.git_objects import (
    blob_id,
    build_trees,
    file_blob_id,
    parse_listing,
    pathspec_glob,
    pathspec_matcher,
)
from pytest_pyramid.verdict.provenance import RUN_ARTIFACTS

if TYPE_CHECKING:
    from pathlib import Path

HELLO = "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.mark.parametrize(("data", "algorithm", "expected"), [
    (b"", "sha1", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"),
    (b"hello\n", "sha1", HELLO),
    (b"", "sha256", "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"),
])
def test_a_blob_id_is_gits(data: bytes, algorithm: str, expected: str) -> None:
    assert blob_id(data, algorithm) == expected


@pytest.mark.parametrize(("entries", "algorithm", "expected"), [
    ({}, "sha1", "4b825dc642cb6eb9a060e54bf8d69288fbee4904"),
    ({}, "sha256", "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"),
    # a file, the same file in a folder, a symlink to it (`git write-tree` of that work tree)
    ({"a": ("100644", HELLO), "d/b": ("100644", HELLO),
      "l": ("120000", "2e65efe2a145dda7ee51d1741299f848e5bf752e")},
     "sha1", "ebe24083bab373ab11e108b9317410932fedac93"),
], ids=["empty", "empty sha256", "file, folder, symlink"])
def test_a_tree_id_is_gits(entries: dict[str, tuple[str, str]], algorithm: str,
                           expected: str) -> None:
    assert build_trees(entries, algorithm).root == expected


def test_the_listing_is_in_gits_order_a_folder_sorting_as_its_name_and_a_slash() -> None:
    names = ["a0", "a/x", "a.b", "a-b", "a/y/z", "sub"]
    entries = {name: ("100644", HELLO) for name in names}
    entries["sub"] = ("160000", HELLO)
    trees = build_trees(entries, "sha1")
    assert list(parse_listing(trees.listing)) == ["a-b", "a.b", "a/x", "a/y/z", "a0", "sub"]
    assert trees.listing.endswith(f"160000 commit {HELLO}\tsub\0")
    # children before parents, as `git mktree --batch` must receive them; the root last
    assert [tree for tree, _ in trees.objects][-1] == trees.root
    assert len(trees.objects) == 3


@pytest.mark.parametrize("entries", [
    {"a": ("100644", HELLO), "a/b": ("100644", HELLO)},
    {"a/b": ("100644", HELLO), "a": ("100644", HELLO)},
], ids=["file first", "folder first"])
def test_a_path_that_is_a_file_and_a_folder_has_no_tree(
    entries: dict[str, tuple[str, str]],
) -> None:
    with pytest.raises(ValueError, match="a"):
        build_trees(entries, "sha1")


def test_a_file_is_hashed_in_chunks_to_the_blob_id_of_its_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # more than one chunk
    (tmp_path / "big").write_bytes(data)
    assert file_blob_id(tmp_path / "big", "sha1") == blob_id(data, "sha1")
    assert file_blob_id(tmp_path / "absent", "sha1") is None
    assert file_blob_id(tmp_path, "sha1") is None  # a folder has no blob


# what `git ls-files -o -- ':(top)' ':(top,exclude,glob)PATTERN'...` keeps with the run
# artifacts' globs, asked of git 2.39: a folder named like an artifact file keeps its files
@pytest.mark.parametrize(("path", "left_out"), [
    (".coverage", True), ("a/.coverage", True), (".coverage.x", True),
    ("a/b/.coverage.1", True), ("b/.coverage/x", False), ("c/.coverage.d/y", False),
    (".coveragex", False), (".pytest_cache/v/x", True), ("a/.pytest_cache/y", True),
    ("__pycache__/m.pyc", True), ("a/__pycache__/b/m.pyc", True), ("a/__pycache__x/y", False),
    (".pyramid/s", True), ("a/.pyramid/b/c", True), ("c/.pyramid", False),
    ("x.pyramid/y", False), ("a/.pyramidx", False),
])
def test_the_artifact_globs_match_as_gits_pathspecs(path: str, left_out: bool) -> None:
    assert pathspec_matcher(RUN_ARTIFACTS)(path) is left_out  # by names
    assert any(pathspec_glob(p).fullmatch(path) for p in RUN_ARTIFACTS) is left_out


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("*.py", "a.py", True), ("*.py", "d/a.py", False), ("d/?.py", "d/a.py", True),
    ("d/[ab].py", "d/b.py", True), ("d/[!ab].py", "d/b.py", False), ("a+b", "a+b", True),
])
def test_pathspec_glob_classes_and_stars(pattern: str, path: str, matches: bool) -> None:
    assert (pathspec_glob(pattern).fullmatch(path) is not None) is matches
    assert pathspec_matcher((pattern,))(path) is matches  # other shapes: the expression
