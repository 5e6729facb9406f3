"""``run/birth.py``: a file made since a moment is told by its birth time, which retiming
(``os.utime``, ``touch``, ``chmod``) leaves; without one, by its change and modification
times (the weaker rule)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run import birth

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


#: how far a file's times may trail ``time.time_ns()``: the kernel stamps files from a coarse
#: clock, one tick (a jiffy, 10 ms at most) behind (the plugin's ``started`` allows for it too)
TICK_NS = 20_000_000


def _since() -> int:
    return time.time_ns() - TICK_NS


def _old(tmp_path: Path) -> tuple[Path, int]:
    """A file made before ``since`` (the moment returned, a tick early as the plugin's)."""
    path = tmp_path / "helper.py"
    path.write_text("VALUE = 1\n")
    time.sleep(3 * TICK_NS / 1e9)  # the file's times fall before the moment, ticks and all
    return path, _since()


def _utime(path: Path) -> None:
    os.utime(path)


def _chmod(path: Path) -> None:
    os.chmod(path, 0o600)


def _touch(path: Path) -> None:
    subprocess.run(["touch", str(path)], check=True)


def _replace(path: Path) -> None:
    new = path.with_suffix(".new")
    new.write_text("VALUE = 2\n")
    os.replace(new, path)


def _rewrite(path: Path) -> None:
    path.unlink()
    path.write_text("VALUE = 2\n")


@pytest.mark.skipif(birth.born_ns(__file__) is None, reason="no birth times kept here")
@pytest.mark.parametrize(("change", "made"), [
    (None, False),       # untouched: from before
    (_utime, False),     # retimed in this process: bytes from before
    (_chmod, False),     # its mode changed: bytes from before
    (_touch, False),     # retimed by a child process: bytes from before
    (_replace, True),    # renamed over by a new file: made since
    (_rewrite, True),    # deleted and written anew: made since
])
def test_made_since_is_the_birth_time(tmp_path: Path, change: Callable[[Path], None] | None,
                                      made: bool) -> None:
    path, since = _old(tmp_path)
    if change is not None:
        change(path)
    assert birth.made_since(str(path), since) is made


def test_a_file_made_after_the_moment_is_made_since(tmp_path: Path) -> None:
    since = _since()
    (tmp_path / "new.py").write_text("")
    assert birth.made_since(str(tmp_path / "new.py"), since)


def test_a_missing_file_has_no_birth_and_was_not_made(tmp_path: Path) -> None:
    assert birth.born_ns(str(tmp_path / "gone.py")) is None
    assert not birth.made_since(str(tmp_path / "gone.py"), 0)


@pytest.mark.parametrize(("change", "made"), [(None, False), (_utime, True), (_replace, True)])
def test_without_birth_times_the_change_and_modification_times_decide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None] | None,
    made: bool,
) -> None:
    """A system that keeps no birth time (a stand-in: ``born_ns`` answers None, as on NFS):
    the weaker rule, where a retimed file counts as made (docs/verdict.md says so)."""
    monkeypatch.setattr(birth, "born_ns", lambda path: None)
    path, since = _old(tmp_path)
    if change is not None:
        change(path)
    assert birth.made_since(str(path), since) is made


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="statx is Linux's")
def test_statx_answers_for_this_file_system_or_none() -> None:
    """On Linux the birth time comes from ``statx``: a time near the file's change time, or
    None where the file system keeps none; never an error."""
    born = birth.born_ns(__file__)
    assert born is None or 0 < born <= os.stat(__file__).st_ctime_ns
