"""run/workspace.py: which git-ignored entries of the test folders are named (hostile 205)."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.workspace import (
    REASON,
    candidates,
    listed,
    listing_args,
    present,
    widened,
)

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("listing", "expected"), [
    ("", []),
    ("tests/data/\0", ["tests/data"]),
    ("tests/.env\0tests/unit/__pycache__/\0", ["tests/.env"]),
    ("tests/old.pyc\0tests/x.pyo\0tests/a/__pycache__/b.pyc\0", []),
    ("tests/__pycache__x/\0", ["tests/__pycache__x"]),  # only the folder named so is bytecode
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


def test_present_names_what_lay_there_before_the_cut(tmp_path: Path) -> None:
    (tmp_path / "tests" / "data").mkdir(parents=True)
    (tmp_path / "tests" / ".skip").write_text("")
    os.symlink("42", tmp_path / "tests" / "answer")  # a dangling link is an entry too
    cache = tmp_path / "tests" / ".cache"
    cache.mkdir()
    (cache / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55")
    venv = tmp_path / "tests" / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin")
    cut = time.time_ns() + 10**9  # everything above was there a second before the cut
    names = ["tests/data", "tests/.skip", "tests/answer", "tests/.cache", "tests/venv",
             "tests/gone"]
    found = present(str(tmp_path), names, cut)
    top = os.path.realpath(tmp_path)
    assert found == {os.path.join(top, name): REASON
                     for name in ("tests/data", "tests/.skip", "tests/answer")}


def test_present_leaves_the_runs_own_outputs(tmp_path: Path) -> None:
    (tmp_path / "out.log").write_text("written by a test")
    cut = os.lstat(tmp_path / "out.log").st_ctime_ns - 10**9  # written after the cut
    assert present(str(tmp_path), ["out.log"], cut) == {}


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

    from pytest_pyramid.run._git import git_env
    from tests.git_repo import git

    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("*.local\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "x.local").write_text("")
    (tmp_path / "tests" / "kept.txt").write_text("")  # untracked, not ignored: not listed
    monkeypatch.setattr(subprocess.Popen, "communicate", lambda *_a, **_k: (b"", b""))
    monkeypatch.setattr(os, "lstat", lambda *_a, **_k: (_ for _ in ()).throw(OSError()))
    code, out = listed(str(tmp_path), ("tests",), git_env())
    assert (code, candidates(out.decode())) == (0, ["tests/x.local"])
    assert present(str(tmp_path), ["tests/x.local"], time.time_ns() + 10**9)  # not "gone"
    # no git on the listing's PATH: a failure, never an empty listing
    assert listed(str(tmp_path), ("tests",), {**git_env(), "PATH": str(tmp_path)})[0] != 0


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
