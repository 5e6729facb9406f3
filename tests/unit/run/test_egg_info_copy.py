"""An in-tree ``*.egg-info`` is a copy of the environment only when the installed
distribution of its name and version holds the very bytes (``run/imported.py:
environment_copy``): setuptools writes one into the project at every editable install."""

from __future__ import annotations

import os
from importlib.metadata import distribution
from pathlib import Path

import pytest

from pytest_pyramid.run.imported import environment_copy, installed_twin
from pytest_pyramid.run.loaded import environment_dirs

#: a distribution installed in this environment, whose metadata the rows copy
INSTALLED = distribution("pytest")
#: its folder in site-packages (RECORD names METADATA's place)
TWIN = Path(os.path.realpath(str(INSTALLED.locate_file(next(
    file for file in INSTALLED.files or () if file.name == "METADATA"))))).parent


def _egg_info(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "src" / "pytest.egg-info"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


METADATA = (TWIN / "METADATA").read_bytes()
ENTRY_POINTS = (TWIN / "entry_points.txt").read_bytes()


@pytest.mark.parametrize(("files", "read", "copy"), [
    # the installed metadata, byte for byte: the environment's, whatever reads it
    ({"PKG-INFO": METADATA}, "PKG-INFO", True),
    ({"PKG-INFO": METADATA, "entry_points.txt": ENTRY_POINTS}, "entry_points.txt", True),
    # a file the installed distribution has no twin of: an input
    ({"PKG-INFO": METADATA, "SOURCES.txt": b"src/x.py\n"}, "SOURCES.txt", False),
    ({"PKG-INFO": METADATA, "expected.txt": b"42\n"}, "expected.txt", False),
    # an entry point since removed from the installed one (a stale folder): an input
    ({"PKG-INFO": METADATA, "entry_points.txt": ENTRY_POINTS + b"[x]\nold = x:y\n"},
     "entry_points.txt", False),
    # a stale version: every file of it is an input
    ({"PKG-INFO": METADATA.replace(
        f"Version: {INSTALLED.version}".encode(), b"Version: 0.0.1", 1),
      "entry_points.txt": ENTRY_POINTS}, "entry_points.txt", False),
    # the same name and version, other bytes (an older build of the same version)
    ({"PKG-INFO": METADATA + b"\nextra\n"}, "PKG-INFO", False),
    # no installed distribution of that name
    ({"PKG-INFO": b"Metadata-Version: 2.1\nName: no-such-dist-here\nVersion: 2.0\n"},
     "PKG-INFO", False),
    ({}, "PKG-INFO", False),  # no PKG-INFO: no name to look for
])
def test_an_egg_info_file_is_the_environments_only_as_the_installed_bytes(
    tmp_path: Path, files: dict[str, bytes], read: str, copy: bool,
) -> None:
    folder = _egg_info(tmp_path, files)
    assert environment_copy(str(folder / read), environment_dirs()) is copy


def test_only_an_egg_info_folder_and_only_the_environments_twin(tmp_path: Path) -> None:
    folder = _egg_info(tmp_path, {"PKG-INFO": METADATA})
    assert installed_twin(str(folder), environment_dirs()) == str(TWIN)
    # the twin must lie in the environment: a distribution found elsewhere is no evidence
    assert installed_twin(str(folder), (str(tmp_path / "elsewhere"),)) is None
    assert not environment_copy(str(folder / "PKG-INFO"), (str(tmp_path / "elsewhere"),))
    other = tmp_path / "pytest.dist-info"  # not setuptools' egg-info: as any file
    other.mkdir()
    (other / "METADATA").write_bytes(METADATA)
    assert not environment_copy(str(other / "METADATA"), environment_dirs())
