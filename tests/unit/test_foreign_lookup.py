"""The foreign distribution's look-up skips importlib.metadata only where it surely finds
nothing: for every metadata folder name, the listing says "maybe" wherever importlib.metadata
finds the other project (checked against importlib.metadata itself, in a folder of its own)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid import foreign

if TYPE_CHECKING:
    from pathlib import Path

_META = "Metadata-Version: 2.1\nName: {name}\nVersion: 2.0.0\n"


@pytest.mark.parametrize(("entry", "found"), [
    ("pytest_pyramid-2.0.0.dist-info", True),
    ("pytest-pyramid-2.0.0.dist-info", False),  # the name is what precedes the first dash
    ("PyTest.Pyramid-2.0.0.dist-info", True),
    ("pytest__pyramid-2.0.0.dist-info", True),
    ("pytest_pyramid.egg-info", True),
    ("pytest_pyramid-2.0.0-py3.11.egg-info", True),
    ("pytest_pyramid_verdict-0.1.0.dist-info", False),
    ("pytest_pyramid", False),  # the import package, not metadata
    ("pytest_pyramid-2.0.0.dist-info.bak", False),
])
def test_the_listing_says_maybe_wherever_importlib_metadata_finds_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, found: bool) -> None:
    folder = tmp_path / entry
    folder.mkdir()
    (folder / "METADATA").write_text(_META.format(name="pytest-pyramid"))
    (folder / "PKG-INFO").write_text(_META.format(name="pytest-pyramid"))
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    try:
        metadata.distribution(foreign.FOREIGN)
        real = True
    except metadata.PackageNotFoundError:
        real = False
    assert (real, foreign._may_be_installed(foreign.FOREIGN)) == (found, found)


@pytest.mark.parametrize("entry", ["lib.zip", "other.egg"])
def test_what_a_listing_cannot_tell_is_a_maybe(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str) -> None:
    (tmp_path / entry).write_bytes(b"")
    monkeypatch.setattr(sys, "path", [str(tmp_path / entry)])
    assert foreign._may_be_installed(foreign.FOREIGN)


def test_a_missing_folder_on_the_path_holds_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", [str(tmp_path / "gone")])
    assert not foreign._may_be_installed(foreign.FOREIGN)


def test_another_finder_of_distributions_is_a_maybe(monkeypatch: pytest.MonkeyPatch) -> None:
    class Finder:
        def find_spec(self, *args: object) -> None:
            return None

        def find_distributions(self, *args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    monkeypatch.setattr(sys, "path", [])
    assert foreign._may_be_installed(foreign.FOREIGN)


_PROBE = """
import sys
sys.path[:0] = sys.argv[1:]
from pytest_pyramid.foreign import problem
print(problem())
print("importlib.metadata" in sys.modules)
"""


@pytest.mark.parametrize("installed", [True, False])
def test_the_pyramid_command_names_the_other_project_and_imports_metadata_only_then(
        tmp_path: Path, installed: bool) -> None:
    if installed:
        folder = tmp_path / "pytest_pyramid-2.0.0.dist-info"
        folder.mkdir()
        (folder / "METADATA").write_text(_META.format(name="pytest-pyramid"))
    out = subprocess.run([sys.executable, "-I", "-c", _PROBE, str(tmp_path)], check=True,
                         capture_output=True, text=True, timeout=120).stdout.splitlines()
    if installed:
        assert "the package index's pytest-pyramid 2.0.0" in out[0]
        assert out[1] == "True"
    else:
        assert out == ["None", "False"]
