"""Hostile case 350: the places where a read outside the repository is free (the platform's,
the environment's), the key a judged read is named by, and the places the tracked
``allow_options`` vouches for."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run import read_places

if TYPE_CHECKING:
    from pathlib import Path

ENV = ("/opt/venv/", "/usr/local/lib/python3.11/")


@pytest.mark.parametrize(("folder", "free"), [
    ("/usr/share/zoneinfo/Europe", True),
    ("/usr/lib/locale/C.utf8", True),
    ("/proc/self", True),
    ("/sys/class/net", True),
    ("/dev", True),
    ("/etc/ssl/certs", True),
    ("/run/systemd/resolve", True),
    ("/opt/venv/lib/python3.11/site-packages/certifi", True),  # the environment's
    ("/usr/local/lib/python3.11", True),
    ("/etc", False),  # only the platform's own files there (PLATFORM_FILES)
    ("/etc/myapp", False),
    ("/usr/local/etc", False),
    ("/home/ci/.config/mypkg", False),
    ("/tmp", False),
    ("/srv/shared", False),
    ("/opt/venvx", False),  # a prefix of a folder's name is not that folder
    ("/usr/sharex", False),
])
def test_free_folders(folder: str, free: bool) -> None:
    assert read_places.free_folder(folder, ENV) is free


@pytest.mark.parametrize(("path", "platform"), [
    ("/etc/localtime", True),
    ("/etc/mime.types", True),
    ("/etc/resolv.conf", True),
    ("/etc/passwd", True),
    ("/etc/myapp.conf", False),
    ("/etc/pip.conf", False),
])
def test_the_platforms_own_files_in_etc(path: str, platform: bool) -> None:
    assert (path in read_places.PLATFORM_FILES) is platform


def test_a_key_is_kept_as_it_is_by_every_route() -> None:
    key = read_places.key("/ci/shard-1/repo", "/home/ci/.config/mypkg/config.toml")
    rel = os.path.relpath(key, "/ci/shard-1/repo")  # a partial's key, then the merge's
    assert read_places.read_path(rel) == "/home/ci/.config/mypkg/config.toml"
    assert read_places.read_path(os.path.relpath(os.path.join("/merge", rel), "/merge")) == (
        "/home/ci/.config/mypkg/config.toml")
    assert read_places.read_path("tests/data/x.json") is None


def test_allowed_places(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    places = read_places.allowed([
        "read ~/.config/mypkg/", "read /etc/myapp.conf", "read relative/folder/",
        "process tools/run.sh", "SKIP_BROKEN"])
    assert places == (os.path.join(os.path.realpath(tmp_path / ".config" / "mypkg"), ""),
                      "/etc/myapp.conf")


@pytest.mark.parametrize(("read", "kept"), [
    ("/home/ci/.config/mypkg/config.toml", False),  # below the vouched folder
    ("/home/ci/.config/mypkg-other/config.toml", True),  # a sibling with a longer name
    ("/etc/myapp.conf", False),  # the vouched file
    ("/etc/myapp.conf.d/extra.conf", True),  # a file is not a folder
    ("/tmp/mypkg-rates.json", True),
])
def test_vouched(read: str, kept: bool) -> None:
    root = "/repo"
    unverifiable = {read_places.key(root, read): read_places.REASON,
                    "/repo/tests/data/x.json": "something else"}
    left = read_places.vouched(unverifiable, lambda p: os.path.relpath(p, root),
                               ("/home/ci/.config/mypkg/", "/etc/myapp.conf"))
    assert (read_places.key(root, read) in left) is kept
    assert "/repo/tests/data/x.json" in left


def test_the_plugin_and_the_environments_editable_installs_are_free_places() -> None:
    """A project importing this plugin's toolkits from an editable install outside its tree
    (the demo copied to a temporary folder) reads the plugin's files at every import: the
    environment's install, not files outside the tree (the clean clone's demo rows were
    incomplete on it)."""
    from pytest_pyramid.run.loaded import PLUGIN_DIR, editable_places

    folders = read_places.environment_folders()
    assert PLUGIN_DIR in folders
    assert read_places.free_folder(PLUGIN_DIR + "run", folders)
    assert all(place in folders for place in editable_places() if place.endswith("/"))
