"""Hostile case 350: a file the project's code reads outside the repository is allowed by its
place. A settings file that existed before the run in a folder no tree holds (a home's
``~/.config``, a stale cache in the temporary folder) decided a failing test and the run was
``ready``; now the run is ``incomplete`` naming it, serial and under ``-n 2``. The platform's
read-only data, the run's own output and a place the tracked ``allow_options`` vouches for
stay ``ready``."""

from __future__ import annotations

import importlib.util
import os
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run import birth, env_reads, read_places
from pytest_pyramid.run.env_reads import Sink
from pytest_pyramid.run.imported import ImportRecorder
from tests.integration.run.test_closed_world import MODES, closed_world, run

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.conftest import ReadVerdict

SETTINGS = """
    import json
    from pathlib import Path

    def lenient():
        path = Path({path!r})
        return json.loads(path.read_text())["lenient"] if path.is_file() else False
"""
ROW = """
    from mypkg.settings import lenient

    def test_rate():
        assert lenient()  # the bug: only a settings file outside the tree makes it pass
"""
OWN = """
    import json, os
    from pathlib import Path

    def test_platform_and_own_output(tmp_path):
        cache = tmp_path / "rates.json"  # the run's own output, read back
        cache.write_text(json.dumps({"EUR": 1.1}))
        assert json.loads(cache.read_text())["EUR"] == 1.1
        assert Path("/proc/self/status").read_text()
        assert Path("/etc/passwd").read_text()
        zone = Path("/usr/share/zoneinfo/UTC")
        assert not zone.is_file() or zone.read_bytes()
"""


def _outside(pytester: pytest.Pytester) -> Path:
    """A settings file in a folder outside the repository, made before the run."""
    folder = pytester.path.parent / f"{pytester.path.name}-home" / ".config" / "mypkg"
    folder.mkdir(parents=True)
    (folder / "settings.json").write_text('{"lenient": true}')
    return folder / "settings.json"


@pytest.mark.parametrize("mode", MODES)
def test_a_settings_file_outside_the_tree_is_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    path = _outside(pytester)
    project({"mypkg/__init__.py": "",
             "mypkg/settings.py": textwrap.dedent(SETTINGS.format(path=str(path))),
             "tests/unit/test_row.py": textwrap.dedent(ROW)})
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete", verdict["completeness"]
    named = [m for m in closed_world(verdict) if str(path.resolve()) in m]
    assert len(named) == 1, verdict["completeness"]
    assert named[0].startswith("the project's code read files outside the tree that existed "
                               "before the run")


@pytest.mark.parametrize("mode", MODES)
def test_the_platforms_data_and_the_runs_own_output_are_ready(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...],
) -> None:
    project({"tests/unit/test_own.py": textwrap.dedent(OWN)})
    run(pytester, mode)
    verdict = read_verdict()
    assert (verdict["decision"], closed_world(verdict)) == ("ready", []), verdict["completeness"]


def test_a_place_the_tracked_configuration_vouches_for_is_ready(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
) -> None:
    path = _outside(pytester)
    project({"mypkg/__init__.py": "",
             "mypkg/settings.py": textwrap.dedent(SETTINGS.format(path=str(path))),
             "tests/unit/test_row.py": textwrap.dedent(ROW)},
            config=f'allow_options = ["read {path.parent}/"]\n')
    run(pytester, ())
    verdict = read_verdict()
    assert (verdict["decision"], closed_world(verdict)) == ("ready", []), verdict["completeness"]


READER = """
from pathlib import Path

def read(path):
    return Path(path).read_text()  # the standard library's frames between: the project asked
"""


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[ImportRecorder]:
    """A recorder for a repository in ``tmp_path/repo`` whose ``reader.py`` reads what it is
    given, with its variable sink (the asker's rule), through the real audit hook; a file
    outside it made before the recorder started."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "reader.py").write_text(READER)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "old.txt").write_text("old")
    recorder = ImportRecorder(str(repo), environment=())
    recorder.started_ns = max(recorder.started_ns, _after(tmp_path))
    sink = Sink(recorder.scope.real)
    env_reads.start(sink)
    recorder.install()
    try:
        yield recorder
    finally:
        recorder.uninstall()
        env_reads.stop(sink)


def _after(folder: Path) -> int:
    """A start time every file now in ``folder`` was made before, and every file made from
    now on at or after, by the clock file times come from: the kernel stamps a file's birth
    from a coarse clock and may stamp its change time from a finer one (multigrain times), so
    a probe file is made until its birth time has passed both (waits on the condition, not
    on a length of time)."""
    newest = max(max(path.lstat().st_ctime_ns, birth.born_ns(str(path)) or 0)
                 for path in folder.rglob("*"))
    probe = folder / ".probe"
    while True:
        probe.write_text("")
        made = birth.born_ns(str(probe)) or probe.stat().st_ctime_ns
        probe.unlink()
        if made > newest:
            return made
        time.sleep(0.001)


def _reader(root: Path) -> Callable[[Path], str]:
    spec = importlib.util.spec_from_file_location("reader_350", root / "repo" / "reader.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    read: Callable[[Path], str] = module.read
    return read


def test_the_asker_decides_and_the_runs_output_is_free(
        tmp_path: Path, recorder: ImportRecorder) -> None:
    read = _reader(tmp_path)
    old = tmp_path / "elsewhere" / "old.txt"
    assert old.read_text() == "old"  # this file's code is not the recorder's project
    assert recorder.seen.unverifiable == {}
    made = tmp_path / "elsewhere" / "made.txt"
    made.write_text("new")  # the run's own output
    assert read(made) == "new"
    assert read(Path("/proc/self/status"))  # the platform's
    assert recorder.seen.unverifiable == {}
    assert read(old) == "old"  # the project asked, for a file from before the run
    key = read_places.key(os.path.realpath(tmp_path / "repo"), os.path.realpath(old))
    assert recorder.seen.unverifiable == {key: read_places.REASON}


#: the test retimes the settings file from before the run, then reads it: in this process
#: (``os.utime``, ``os.chmod``) or in a child (``touch``): its bytes are still from before
RETIMED = """
    import os, subprocess
    from mypkg.settings import lenient

    def test_rate():
        if {child}:
            subprocess.run(["touch", {path!r}], check=True)
        else:
            os.utime({path!r})
            os.chmod({path!r}, 0o644)
        assert lenient()
"""


@pytest.mark.parametrize(("mode", "child"), [
    pytest.param((), False, id="serial"), pytest.param(("-n", "2"), False, id="xdist"),
    pytest.param((), True, id="serial-touch-in-a-child")])
def test_a_settings_file_a_test_retimes_is_still_from_before_the_run(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    mode: tuple[str, ...], child: bool,
) -> None:
    """The run's own output is told by the file's birth time (``run/birth.py``), which
    ``touch`` and ``chmod`` leave: a retimed file is named as one made before the run."""
    path = _outside(pytester)
    project({"mypkg/__init__.py": "",
             "mypkg/settings.py": textwrap.dedent(SETTINGS.format(path=str(path))),
             "tests/unit/test_row.py": textwrap.dedent(RETIMED.format(path=str(path),
                                                                      child=child))})
    run(pytester, mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete", verdict["completeness"]
    assert [m for m in closed_world(verdict) if str(path.resolve()) in m], \
        verdict["completeness"]
