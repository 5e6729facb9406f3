"""Hostile case 149: ``os.open(name, dir_fd=fd)``. The ``open`` audit event of ``os.open`` carries
no directory, so a relative name cannot be placed: the project's own code that opens one is
named; the standard library's descriptor walks (``shutil.rmtree``) are not the project's.

In-process, through the real audit hook: a recorder for a repository in ``tmp_path`` (as an
in-process pytester run installs one), and code imported from that repository."""

from __future__ import annotations

import importlib.util
import os
import shutil
import textwrap
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.imported import ImportRecorder

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from types import ModuleType

OPENER = """
    import os

    def by_dir_fd(folder, name, **kwargs):
        fd = os.open(folder, os.O_RDONLY)
        try:
            handle = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(handle)
        finally:
            os.close(fd)

    def by_full_path(path):
        os.close(os.open(path, os.O_RDONLY))
"""


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[ImportRecorder]:
    (tmp_path / ".git").mkdir()
    recorder = ImportRecorder(str(tmp_path), environment=())
    recorder.install()
    try:
        yield recorder
    finally:
        recorder.uninstall()


def opener(tmp_path: Path) -> ModuleType:
    (tmp_path / "opener.py").write_text(textwrap.dedent(OPENER))
    spec = importlib.util.spec_from_file_location("opener149", tmp_path / "opener.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_projects_relative_os_open_is_named(
        tmp_path: Path, recorder: ImportRecorder) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "expected.json").write_text("{}")
    opener(tmp_path).by_dir_fd(str(tmp_path / "data"), "expected.json")
    why = recorder.seen.unverifiable[os.path.realpath(tmp_path / "opener.py")]
    assert "'expected.json' with os.open by a relative name" in why
    assert os.path.realpath(tmp_path / "expected.json") not in recorder.seen.files


def test_a_full_path_and_the_standard_librarys_walks_are_not_named(
        tmp_path: Path, recorder: ImportRecorder) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "expected.json").write_text("{}")
    opener(tmp_path).by_full_path(str(data / "expected.json"))
    shutil.rmtree(data)  # opens each folder relative to its parent's descriptor
    assert recorder.seen.unverifiable == {}
