"""run/workspace.py: which git-ignored entries of the test folders are named (hostile 205)."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.workspace import (
    REASON,
    Own,
    bytecode_source,
    candidates,
    listed,
    listing_args,
    own_state,
    present,
    widened,
)

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("listing", "expected"), [
    ("", []),
    ("tests/data/\0", ["tests/data"]),
    ("tests/.env\0tests/unit/__pycache__/\0", ["tests/.env", "tests/unit/__pycache__"]),
    # a name proves nothing: present() looks at what each entry is
    ("tests/old.pyc\0tests/a/__pycache__/b.pyc\0", ["tests/old.pyc", "tests/a/__pycache__/b.pyc"]),
])
def test_candidates(listing: str, expected: list[str]) -> None:
    assert candidates(listing) == expected


@pytest.mark.parametrize(("folders", "specs"), [
    (("tests",), [":(literal)tests"]),
    (("", "tests"), [".", ":(literal)tests"]),
])
def test_listing_args(folders: tuple[str, ...], specs: list[str]) -> None:
    args = listing_args(folders)
    assert args[:6] == ["ls-files", "-z", "--others", "--ignored", "--exclude-standard",
                        "--directory"]
    assert args[args.index("--") + 1:] == specs


TAGS = ("cpython-311", "cpython-311-pytest-9.0.1")


@pytest.mark.parametrize(("name", "source"), [
    ("tests/__pycache__/test_a.cpython-311.pyc", "tests/test_a.py"),
    ("tests/__pycache__/test_a.cpython-311-pytest-9.0.1.pyc", "tests/test_a.py"),  # rewritten
    ("tests/__pycache__/a.b.cpython-311.opt-2.pyc", "tests/a.b.py"),
    ("__pycache__/conftest.cpython-311.pyc", "conftest.py"),
    ("tests/__pycache__/test_a.cpython-311-pytest-8.0.0.pyc", None),  # not this run's pytest
    ("tests/__pycache__/test_a.cpython-312.pyc", None),  # another interpreter's
    ("tests/__pycache__/.cpython-311.pyc", None),
    ("tests/__pycache__/skip-broken", None),  # hostile 262 b
    ("tests/known-broken.pyc", None),  # 262 c: bytecode lies in __pycache__
    ("tests/__pycache__x/test_a.cpython-311.pyc", None),
    ("tests/__pycache__/sub/test_a.cpython-311.pyc", None),
])
def test_bytecode_source(name: str, source: str | None) -> None:
    assert bytecode_source(name, TAGS) == source
    assert bytecode_source(name, ()) is None  # an interpreter that writes no bytecode


# (files made, a trailing "/" a folder; the listing; what is named). The run's own state is
# tests/.cache (its cache_dir) and tests/venv (its interpreter's sys.prefix)
PRESENT = [
    # hostile 250: a CACHEDIR.TAG anyone can write, beside the data or a level up
    (["tests/data/.skip", "tests/data/CACHEDIR.TAG"], ["tests/data"], ["tests/data"]),
    (["tests/local/data/.skip", "tests/local/CACHEDIR.TAG"], ["tests/local"], ["tests/local"]),
    # 251: a pyvenv.cfg does not make a folder the run's environment
    (["tests/data/.skip", "tests/data/pyvenv.cfg"], ["tests/data"], ["tests/data"]),
    # 262: a plain file in __pycache__, a *.pyc outside it, a folder named *.pyc
    (["tests/t.py", "tests/__pycache__/t.cpython-311.pyc", "tests/__pycache__/skip-broken"],
     ["tests/__pycache__"], ["tests/__pycache__/skip-broken"]),
    (["tests/known-broken.pyc"], ["tests/known-broken.pyc"], ["tests/known-broken.pyc"]),
    (["tests/fixtures.pyc/"], ["tests/fixtures.pyc"], ["tests/fixtures.pyc"]),
    # bytecode whose source is not there, or that is a folder: not bytecode
    (["tests/__pycache__/gone.cpython-311.pyc"], ["tests/__pycache__"],
     ["tests/__pycache__/gone.cpython-311.pyc"]),
    (["tests/t.py", "tests/__pycache__/t.cpython-311.pyc/"],
     ["tests/__pycache__/t.cpython-311.pyc"], ["tests/__pycache__/t.cpython-311.pyc"]),
    (["tests/__pycache__"], ["tests/__pycache__"], ["tests/__pycache__"]),  # a file named so
    # what the run keeps: its bytecode (a folder listed whole or file by file) and pytest's
    (["tests/unit/t.py", "tests/unit/__pycache__/t.cpython-311.pyc",
      "tests/unit/__pycache__/t.cpython-311.opt-1.pyc",
      "tests/unit/__pycache__/t.cpython-311-pytest-9.0.1.pyc"], ["tests/unit/__pycache__"], []),
    (["tests/t.py", "tests/__pycache__/t.cpython-311.pyc"],
     ["tests/__pycache__/t.cpython-311.pyc"], []),
    # pytest's own records in its cache_dir, whole or file by file; not a value a test stored
    (["tests/.cache/CACHEDIR.TAG", "tests/.cache/README.md", "tests/.cache/v/cache/lastfailed",
      f"tests/.cache/d/pytest-pyramid/{'a' * 64}"], ["tests/.cache"], []),
    (["tests/.cache/v/cache/nodeids", "tests/.cache/v/demo/skip"], ["tests/.cache"],
     ["tests/.cache/v/demo/skip"]),
    (["tests/.cache/v/cache/stepwise", "tests/.cache/v/x"],
     ["tests/.cache/v/cache/stepwise", "tests/.cache/v/x"], ["tests/.cache/v/x"]),
    # its interpreter's environment
    (["tests/venv/pyvenv.cfg", "tests/venv/bin/python"], ["tests/venv"], []),
    (["tests/.cache2/CACHEDIR.TAG"], ["tests/.cache2"], ["tests/.cache2"]),  # not its cache
]


@pytest.mark.parametrize(("made", "listing", "named"), PRESENT)
def test_present_names_what_an_entry_is_not_what_it_is_called(
    tmp_path: Path, made: list[str], listing: list[str], named: list[str]
) -> None:
    for name in made:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            path.mkdir()
        else:
            path.write_text("Signature: 8a477f597d28d172789f06886806bc55")
    own = Own(TAGS, (os.path.realpath(tmp_path / "tests/venv"),),
              time.time_ns() + 10**9,  # nothing above is a write in progress
              os.path.realpath(tmp_path / "tests/.cache"))
    found = present(str(tmp_path), listing, time.time_ns() + 10**9, own)
    top = os.path.realpath(tmp_path)
    assert found == {os.path.join(top, name): REASON for name in named}


@pytest.mark.parametrize(("temp", "since_s", "named"), [
    ("t.cpython-311.pyc.140213", -1, False),  # a sibling worker writing it: the run's own
    ("t.cpython-311-pytest-9.0.1.pyc.4711", -1, False),
    ("t.cpython-311.pyc.140213", 1, True),  # lay there before this process started
    ("t.cpython-311.pyc.x1", -1, True),  # not a name importlib or pytest writes to
    ("gone.cpython-311.pyc.1", -1, True),  # no source beside it
])
def test_bytecode_being_written_is_the_runs_own_only_since_it_started(
    tmp_path: Path, temp: str, since_s: int, named: bool
) -> None:
    (tmp_path / "tests" / "__pycache__").mkdir(parents=True)
    (tmp_path / "tests" / "t.py").write_text("")
    made = tmp_path / "tests" / "__pycache__" / temp
    made.write_bytes(b"")
    started = os.lstat(made).st_mtime_ns + since_s * 10**9  # this process started
    found = present(str(tmp_path), ["tests/__pycache__"], time.time_ns() + 10**9,
                    Own(TAGS, (), started))
    assert found == ({os.path.join(os.path.realpath(tmp_path), "tests/__pycache__", temp):
                      REASON} if named else {})


def test_present_names_what_lay_there_before_the_cut(tmp_path: Path) -> None:
    (tmp_path / "tests" / "data").mkdir(parents=True)
    (tmp_path / "tests" / ".skip").write_text("")
    os.symlink("42", tmp_path / "tests" / "answer")  # a dangling link is an entry too
    cut = time.time_ns() + 10**9  # everything above was there a second before the cut
    names = ["tests/data", "tests/.skip", "tests/answer", "tests/gone"]
    found = present(str(tmp_path), names, cut, own_state((), None))
    top = os.path.realpath(tmp_path)
    assert found == {os.path.join(top, name): REASON
                     for name in ("tests/data", "tests/.skip", "tests/answer")}


def test_own_state_is_the_hosts(tmp_path: Path) -> None:
    own = own_state([str(tmp_path / ".pyramid")], "9.0.1", cache=str(tmp_path / "cache"))
    tag = sys.implementation.cache_tag
    assert own.tags == (tag, f"{tag}-pytest-9.0.1")
    for folder in (sys.prefix, sys.base_prefix, str(tmp_path / ".pyramid")):
        assert own.holds(os.path.join(os.path.realpath(folder), "x"))
    assert not own.holds(os.path.realpath(tmp_path / "cache2"))
    cache = os.path.realpath(tmp_path / "cache")
    assert (own.in_cache(cache), own.in_cache(os.path.join(cache, "v", "x"))) == ("", "v/x")
    assert own.in_cache(cache + "2") is None
    assert own_state((), None).tags == (tag,)


def test_present_leaves_the_runs_own_outputs(tmp_path: Path) -> None:
    (tmp_path / "out.log").write_text("written by a test")
    cut = os.lstat(tmp_path / "out.log").st_ctime_ns - 10**9  # written after the cut
    assert present(str(tmp_path), ["out.log"], cut, own_state((), None)) == {}


@pytest.mark.parametrize(("folder", "prefix", "expected"), [
    ("tests/unit", "", "tests"),  # data beside the tiers (tests/data) is in it
    ("tests", "", "tests"),
    ("", "", ""),  # the top, only when configured
    ("suites/tests/unit", "suites", "suites/tests"),  # below a rootdir under the top
    ("suites", "suites", "suites"),
    ("other/x", "suites", "other/x"),  # a folder outside the rootdir stays as it is
])
def test_widened(folder: str, prefix: str, expected: str) -> None:
    assert widened(folder, prefix) == expected


def test_listed_is_git_answering_not_a_patched_subprocess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a test module's patch of subprocess answers for nothing the listing reads
    import subprocess

    from pytest_pyramid.run._git import git_env, git_program
    from tests.git_repo import git

    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("*.local\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "x.local").write_text("")
    (tmp_path / "tests" / "kept.txt").write_text("")  # untracked, not ignored: not listed
    monkeypatch.setattr(subprocess.Popen, "communicate", lambda *_a, **_k: (b"", b""))
    monkeypatch.setattr(os, "lstat", lambda *_a, **_k: (_ for _ in ()).throw(OSError()))
    code, out = listed(str(tmp_path), ("tests",), git_env(), git_program())
    assert (code, candidates(out.decode())) == (0, ["tests/x.local"])
    monkeypatch.setattr(os, "listdir", lambda *_a, **_k: [])
    assert present(str(tmp_path), ["tests/x.local"], time.time_ns() + 10**9,
                   own_state((), None))  # not "gone"
    # no git found: a failure, never an empty listing
    assert listed(str(tmp_path), ("tests",), git_env(), None)[0] != 0


def test_the_cut_is_the_kernel_s_time_not_a_clock_a_test_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # hostile case 290: time-machine / freezegun started by a test module's import moved a
    # Python-read cut to the year 2000, so an ignored marker looked like the run's output
    from pytest_pyramid.run.closed_world import kernel_now_ns

    before = os.stat(tmp_path).st_ctime_ns
    monkeypatch.setattr(time, "time_ns", lambda: 946_684_800 * 10**9)
    monkeypatch.setattr(time, "time", lambda: 946_684_800.0)
    cut = kernel_now_ns(str(tmp_path))
    assert cut >= before
    marker = tmp_path / "made-after"
    marker.write_text("x")
    assert os.stat(marker).st_ctime_ns >= cut
    assert list(tmp_path.iterdir()) == [marker]  # the probe file is gone
    # no folder to make the probe in: the judgement's own clock, not the patched one
    assert kernel_now_ns(str(tmp_path / "missing")) > before - 60 * 10**9


def test_the_judgements_git_is_the_hosts_before_the_starting_path_s(tmp_path: Path) -> None:
    # hostile case 294 b: a stub `git` first on PATH does not answer for the judgement's git
    # reads; the host's standard path is looked at first, the starting PATH after it, and a
    # relative folder (whatever folder the process is in) never
    from pytest_pyramid.run._git import STANDARD_PATH, find_git

    stub = tmp_path / "git"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    hosts = next((f"{folder}/git" for folder in STANDARD_PATH.split(":")
                  if os.access(f"{folder}/git", os.X_OK)), None)
    assert find_git(f"{tmp_path}{os.pathsep}/usr/bin") == (hosts or str(stub))
    assert find_git("relative/bin") == hosts


def test_folders_holding_no_file_are_listed_anywhere(tmp_path: Path) -> None:
    # hostile case 313: git tracks files, so an empty folder is in no listing of git's and in
    # no tree; a test can depend on its presence. Named wherever it lies in the checkout
    # (313 c: an empty outbox/ at the top)
    from pytest_pyramid.run._git import git_env, git_program
    from pytest_pyramid.run.workspace import holds_nothing
    from tests.git_repo import git

    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("*.local\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "x")
    for folder in ("tests/fixtures/outbox", "outbox", "nested/a/b", "full/sub"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "full" / "sub" / "f.txt").write_text("")  # an untracked file: in the digest
    (tmp_path / "ignored.local").mkdir()  # ignored: named only in the test folders
    code, out = listed(str(tmp_path), ("tests",), git_env(), git_program())
    assert code == 0
    # a folder whose folders hold nothing is one entry, as git lists it
    assert sorted(candidates(out.decode())) == ["nested", "outbox", "tests/fixtures"]
    found = present(str(tmp_path), candidates(out.decode()), time.time_ns() + 10**9,
                    own_state((), None))
    assert found == {os.path.join(os.path.realpath(tmp_path), name): REASON
                     for name in ("nested", "outbox", "tests/fixtures")}
    assert holds_nothing(str(tmp_path / "nested"))
    assert not holds_nothing(str(tmp_path / "full"))
    assert not holds_nothing(str(tmp_path / "tests" / "test_a.py"))
    assert not holds_nothing(str(tmp_path / "gone"))


def test_an_empty_basetemp_is_pytest_s_own(tmp_path: Path) -> None:
    # pytester's runpytest-N (--basetemp): pytest empties or makes it itself; once it holds a
    # file it is an entry like any other
    from pytest_pyramid.run.workspace import holds_nothing

    (tmp_path / "runpytest-0").mkdir()
    (tmp_path / "other").mkdir()
    own = own_state((), None, basetemp=str(tmp_path / "runpytest-0"))
    cut = time.time_ns() + 10**9
    top = os.path.realpath(tmp_path)
    assert present(str(tmp_path), ["runpytest-0", "other"], cut, own) == {
        os.path.join(top, "other"): REASON}
    (tmp_path / "runpytest-0" / "kept").write_text("")
    assert not holds_nothing(str(tmp_path / "runpytest-0"))
    assert os.path.join(top, "runpytest-0") in present(str(tmp_path), ["runpytest-0"], cut, own)


@pytest.mark.parametrize(("basetemp", "entry", "own"), [
    ("runpytest-1", "runpytest-1", True),  # the run's own
    ("runpytest-1", "runpytest-0", True),  # an earlier run's, numbered beside it by pytester
    ("runpytest-1", "runpytest-12", True),
    ("runpytest-1", "runpytest-x", False),  # not numbered
    ("runpytest-1", "outbox", False),
    ("runpytest-1", "sub/runpytest-0", False),  # not beside it
    ("tmp", "tmp-0", False),  # the run's basetemp is not numbered: only itself
    ("tmp", "tmp", True),
    ("", "runpytest-0", False),  # no --basetemp
])
def test_folders_pytest_numbered_beside_the_runs_basetemp_are_its_own(
    tmp_path: Path, basetemp: str, entry: str, own: bool,
) -> None:
    state = own_state((), None, basetemp=str(tmp_path / basetemp) if basetemp else None)
    assert state.made_by_pytest(os.path.realpath(tmp_path / entry)) is own


def test_an_empty_earlier_basetemp_beside_the_runs_is_left_out(tmp_path: Path) -> None:
    # the shard tests: pytester runs a project twice, the second run finds the first's
    # runpytest-0 (its tmp_path folders left empty) beside its own runpytest-1
    (tmp_path / "runpytest-0" / "test_a0").mkdir(parents=True)
    (tmp_path / "outbox").mkdir()
    own = own_state((), None, basetemp=str(tmp_path / "runpytest-1"))
    top = os.path.realpath(tmp_path)
    cut = time.time_ns() + 10**9
    assert present(str(tmp_path), ["runpytest-0", "outbox"], cut, own) == {
        os.path.join(top, "outbox"): REASON}
    (tmp_path / "runpytest-0" / "test_a0" / "kept").write_text("")  # holds a file: named
    assert os.path.join(top, "runpytest-0") in present(str(tmp_path), ["runpytest-0"], cut, own)
