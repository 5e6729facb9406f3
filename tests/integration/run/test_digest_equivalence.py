"""The tree digest computed in-process (``verdict/git_objects.py``) is the very tree id git's
own route gives: ``git add -A`` into a temporary index read from the commit's tree, then
every regular file hashed again as it is on disk (``hash-object --no-filters``). That route
is the oracle below (it was the digest until the in-process one replaced it); each row
changes a committed repository one way and compares the two."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run._git import run_git
from pytest_pyramid.verdict import provenance
from pytest_pyramid.verdict.provenance import RUN_ARTIFACTS

if TYPE_CHECKING:
    from collections.abc import Callable

GIT = ["git", "-c", "user.email=a@b", "-c", "user.name=a", "-c", "protocol.file.allow=always"]
#: the oracle names modes and links as they are on disk (hostile case 302)
DISK = ["-c", "core.fileMode=true", "-c", "core.symlinks=true"]
TEMPLATE = {
    "a.txt": b"alpha\n",
    "pkg/__init__.py": b"",
    "pkg/mod.py": b"def f():\n    return 1\n",
    "with space.txt": b"spaced\n",
    "dir/sub/deep.txt": b"deep\n",
    ".gitignore": b"*.log\nbuild/\n",
    "build/keep.txt": b"kept though ignored\n",
    ".coverage": b"tracked coverage data\n",
}


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True,
                          input=stdin).stdout


def write(repo: Path, name: str | bytes, data: bytes = b"x\n") -> None:
    path = os.path.join(os.fsencode(repo), os.fsencode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def oracle(repo: Path, excluded: tuple[str, ...]) -> str:
    """The tree git's route names: ``add -A`` from the commit's tree, the excluded paths
    left out, every regular file's index entry replaced by its bytes as on disk."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp, "index"))}

        def run(*args: str, stdin: bytes | None = None) -> bytes:
            # git's own view of the disk, whatever the repository's configuration says
            return subprocess.run([*GIT, *DISK, *args], cwd=repo, env=env, check=True,
                                  capture_output=True, input=stdin).stdout

        head = subprocess.run([*GIT, "rev-parse", "--verify", "-q", "HEAD^{tree}"], cwd=repo,
                              capture_output=True, text=True).stdout.strip()
        run("read-tree", head) if head else run("read-tree", "--empty")
        globs = [p for p in excluded if set("*?[") & set(p)]
        files = [p for p in excluded if p not in globs]
        run("add", "-A", "--", ":(top)", *[f":(top,exclude,glob){p}" for p in globs])
        if files:
            literal = [f":(top,literal){p}" for p in files]
            run("reset", "-q", "HEAD", "--", *literal) if head else run(
                "rm", "--cached", "-q", "--ignore-unmatch", "--", *literal)
        changed, regular = [], []
        for entry in run("ls-files", "--stage", "-z").split(b"\0"):
            if not entry:
                continue
            meta, path = entry.split(b"\t", 1)
            mode = meta.split(b" ")[0]
            if not os.path.lexists(os.path.join(os.fsencode(repo), path)):
                changed.append(b"0 " + b"0" * len(head or "0" * 40) + b"\t" + path + b"\0")
            elif mode in (b"100644", b"100755"):
                regular.append((mode, path))
        hashed = [run("hash-object", "-w", "--no-filters", "--", os.fsdecode(path)).strip()
                  for _, path in regular if b"\n" in path]  # --stdin-paths: one path a line
        lines = b"".join(path + b"\n" for _, path in regular if b"\n" not in path)
        if lines:
            hashed += run("hash-object", "-w", "--no-filters", "--stdin-paths",
                          stdin=lines).split()
        in_order = [entry for entry in regular if b"\n" in entry[1]] + [
            entry for entry in regular if b"\n" not in entry[1]]
        changed += [mode + b" " + blob + b"\t" + path + b"\0"
                    for (mode, path), blob in zip(in_order, hashed, strict=True)]
        if changed:
            run("update-index", "-z", "--index-info", stdin=b"".join(changed))
        return run("write-tree").decode().strip()


def new_commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "x")


def embedded(repo: Path, name: str) -> Path:
    """A repository with one commit at ``name`` inside ``repo``."""
    inner = repo / name
    write(inner, "inside.txt", b"inside\n")
    git(inner, "init", "-q")
    new_commit(inner)
    return inner


def submodule(repo: Path) -> Path:
    """An embedded repository committed as a gitlink (no .gitmodules needed)."""
    inner = embedded(repo, "sub")
    new_commit(repo)
    return inner


def with_filter(repo: Path) -> None:
    """A clean filter that maps the working copy's bytes to others (upper case) and a
    CRLF file under ``text=auto``: git's own staging would not hash the bytes on disk."""
    write(repo, ".gitattributes", b"*.txt filter=upper\n*.crlf text=auto\n")
    git(repo, "config", "filter.upper.clean", "tr a-z A-Z")
    write(repo, "win.crlf", b"one\r\ntwo\r\n")
    new_commit(repo)
    write(repo, "a.txt", b"edited lower case\n")
    write(repo, "win.crlf", b"one\r\ntwo\r\nthree\r\n")


def restored_stat(repo: Path) -> None:
    path = repo / "a.txt"
    before = path.stat()
    path.write_bytes(b"ALPHA\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def replace_with_folder(repo: Path) -> None:
    (repo / "a.txt").unlink()
    write(repo, "a.txt/inner.txt")


def replace_folder_with_file(repo: Path) -> None:
    shutil.rmtree(repo / "dir")
    write(repo, "dir")


def symlink(repo: Path, name: str, target: str) -> None:
    path = repo / name
    if os.path.lexists(path):
        path.unlink()
    path.symlink_to(target)


def odd_names(repo: Path) -> None:
    for name in ("new name.txt", "tab\there.txt", "new\nline.txt", " lead.txt", "trail.txt ",
                 "é.txt", b"\xff\xfe-not-utf8.bin", "dir/sub/deep space .txt"):
        write(repo, name)
    write(repo, "with space.txt", b"edited\n")


def artifacts(repo: Path) -> None:
    for name in ("__pycache__/m.pyc", "pkg/__pycache__/mod.cpython-311.pyc", ".pytest_cache/v",
                 "pkg/.coverage.host.123", ".pyramid/state", "a/.coverage/x", "x.pyramid/y"):
        write(repo, name)
    write(repo, ".coverage", b"coverage data of this run\n")


def submodule_moved(repo: Path) -> None:
    inner = submodule(repo)
    write(inner, "inside.txt", b"next\n")
    new_commit(inner)


def submodule_edited(repo: Path) -> None:
    write(submodule(repo), "inside.txt", b"edited, not committed\n")


def submodule_not_checked_out(repo: Path) -> None:
    inner = submodule(repo)
    shutil.rmtree(inner)
    inner.mkdir()


def sparse(repo: Path) -> None:
    git(repo, "sparse-checkout", "set", "--no-cone", "/pkg/")


def mode_ignored(repo: Path) -> None:
    git(repo, "config", "core.fileMode", "false")
    (repo / "a.txt").chmod(0o755)
    write(repo, "new.sh")
    (repo / "new.sh").chmod(0o755)


def everything_gone(repo: Path) -> None:
    for entry in repo.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def chmod(name: str, mode: int) -> Callable[[Path], None]:
    return lambda repo: (repo / name).chmod(mode)


def written(*names: str, mode: int | None = None) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        for name in names:
            write(repo, name)
            if mode is not None:
                (repo / name).chmod(mode)

    return change


def staged(name: str, *flags: str) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        write(repo, name)
        git(repo, "add", *flags, name)

    return change


ROWS: dict[str, Callable[[Path], object]] = {
    "clean": lambda repo: None,
    "modified": lambda repo: write(repo, "a.txt", b"edited\n"),
    "modified, size and mtime put back": restored_stat,
    "untracked file": lambda repo: write(repo, "new.py"),
    "untracked in a new folder": lambda repo: write(repo, "newdir/x/y.py"),
    "ignored untracked files": written("x.log", "build/new"),
    "ignored folder: tracked file edited, untracked beside it": written(
        "build/keep.txt", "build/other.txt"),
    "deleted file": lambda repo: (repo / "pkg/mod.py").unlink(),
    "deleted folder": lambda repo: shutil.rmtree(repo / "dir"),
    "mode made executable": chmod("a.txt", 0o755),
    "mode executable for the group only": chmod("a.txt", 0o654),
    "new executable file": written("tool.sh", mode=0o700),
    "core.fileMode false": mode_ignored,
    "symlink added": lambda repo: symlink(repo, "newlink", "pkg/mod.py"),
    "symlink retargeted": lambda repo: symlink(repo, "link", "pkg/mod.py"),
    "symlink replaced by a file": written("link"),
    "symlink dangling, outside": lambda repo: symlink(repo, "gone", "/nonexistent/x"),
    "file replaced by a symlink": lambda repo: symlink(repo, "a.txt", "pkg/mod.py"),
    "file replaced by a folder": replace_with_folder,
    "folder replaced by a file": replace_folder_with_file,
    "odd names: spaces, tab, newline, not UTF-8": odd_names,
    "staged new file": staged("staged.py"),
    "staged new ignored file": staged("forced.log", "-f"),
    "removed from the index only": lambda repo: git(repo, "rm", "-q", "--cached", "a.txt"),
    "clean filter and CRLF": with_filter,
    "run artifacts, a tracked one edited": artifacts,
    "tracked artifact deleted": lambda repo: (repo / ".coverage").unlink(),
    "submodule at a new commit": submodule_moved,
    "submodule edited": submodule_edited,
    "submodule not checked out": submodule_not_checked_out,
    "untracked nested repository": lambda repo: embedded(repo, "nested"),
    "sparse checkout": sparse,
    "every file gone": everything_gone,
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("template") / "repo"
    for name, data in TEMPLATE.items():
        write(repo, name, data)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "add", "-f", "build/keep.txt")
    symlink(repo, "link", "a.txt")
    write(repo, "run.sh", b"#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)
    new_commit(repo)
    return repo


def same_digest(repo: Path, excluded: tuple[str, ...] = RUN_ARTIFACTS) -> str:
    """The in-process digest, checked against the oracle and against git's own listing."""
    digest = provenance.tree_digest(repo, excluded)
    assert digest is not None
    assert digest == oracle(repo, excluded)
    listed = run_git(repo, "ls-tree", "-r", "-z", "--full-tree", digest).stdout
    assert provenance.tree_listing(repo, digest) == listed  # the listing it keeps is git's
    return digest


@pytest.mark.parametrize("change", ROWS.values(), ids=list(ROWS))
def test_the_digest_is_the_tree_gits_own_route_names(
    template: Path, tmp_path: Path, change: Callable[[Path], object]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    change(repo)
    same_digest(repo)


def test_a_repository_without_commits(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    write(tmp_path, "b/c.txt")
    git(tmp_path, "init", "-q")
    assert same_digest(tmp_path) != "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def test_a_sha256_repository(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    git(tmp_path, "init", "-q", "--object-format=sha256")
    new_commit(tmp_path)
    clean = same_digest(tmp_path)
    write(tmp_path, "a.py", b"edited\n")
    edited = same_digest(tmp_path)
    assert len(edited) == 64
    assert edited != clean


@pytest.mark.parametrize("tracked", [False, True], ids=["untracked", "tracked"])
def test_literal_exclusions_are_left_out_as_gits_route_leaves_them(
    template: Path, tmp_path: Path, tracked: bool
) -> None:
    """An untracked output is left out; a committed file named in the exclusions keeps its
    committed mode and is still named by its bytes on disk."""
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    write(repo, "out/pyramid-verdict.json", b"{}")
    write(repo, "a.txt", b"edited\n")
    named = "a.txt" if tracked else "out/pyramid-verdict.json"
    same_digest(repo, (*RUN_ARTIFACTS, named, "out"))


def test_a_clean_tree_costs_four_git_processes_at_the_start_and_two_at_the_end(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start-up goal rests on this count: 17 processes before the digest was built in
    this process."""
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    calls: list[tuple[str, ...]] = []

    def counted(cwd: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return run_git(cwd, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(provenance, "run_git", counted)
    outputs = (repo / "pyramid-verdict.json",)
    start = provenance.read_git_info(repo, outputs)
    assert start.tree == start.head_tree
    assert start.dirty is False
    assert [args[0] for args in calls] == ["rev-parse", "show", "ls-files", "ls-tree"]
    calls.clear()
    write(repo, "pyramid-verdict.json", b"{}")  # the run's own output stays out
    assert provenance.tree_now(start, outputs) == start.tree
    assert [args[0] for args in calls] == ["rev-parse", "ls-files"]
