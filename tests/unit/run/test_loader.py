"""Where the dynamic loader takes native code from (``pytest_pyramid/run/loader.py``): its
path lists split as ``ld.so`` splits them, and a bare library name resolved through the search
path, not the working folder (hostile case 297)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run import loader

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("name", "value", "entries"), [
    ("LD_LIBRARY_PATH", "/a:/b", ["/a", "/b"]),
    ("LD_LIBRARY_PATH", "/a;/b", ["/a", "/b"]),  # ld.so takes ';' too
    ("LD_LIBRARY_PATH", "/a:", ["/a", ""]),  # an empty entry is the working folder
    ("LD_LIBRARY_PATH", "", [""]),
    ("LD_PRELOAD", "/a.so /b.so:libc.so", ["/a.so", "/b.so", "libc.so"]),
    ("LD_PRELOAD", " /a.so ", ["/a.so"]),  # an empty preload is nothing
])
def test_path_lists_are_split_as_the_loader_splits_them(name: str, value: str,
                                                        entries: list[str]) -> None:
    assert loader.entries(name, value) == entries


@pytest.mark.parametrize(("library", "values", "found"), [
    ("libx.so", ["{first}:{second}"], "first/libx.so"),  # the search path in order
    ("libx.so", ["{second}"], "second/libx.so"),
    ("liby.so", ["{first}:{second}"], "second/glibc-hwcaps/x86-64-v2/liby.so"),  # hwcaps first
    ("libx.so", [], None),  # no search path: the system's folders, never the working folder
    ("libz.so", ["{first}"], None),
    ("libx.so", [":"], "libx.so"),  # an empty entry is the working folder
    ("./libx.so", [], "./libx.so"),  # a name with a slash is a path
])
def test_a_bare_name_is_resolved_through_the_search_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, library: str, values: list[str],
        found: str | None) -> None:
    for name in ("first/libx.so", "second/libx.so", "second/glibc-hwcaps/x86-64-v2/liby.so",
                 "libx.so"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"\x7fELF")
    filled = [v.format(first=tmp_path / "first", second=tmp_path / "second") for v in values]
    resolved = loader.resolve(library, filled, str(tmp_path))
    assert resolved == (None if found is None else os.path.join(tmp_path, found))


def test_the_starting_environment_is_the_kernels_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    # a variable set after the start is not what the loader read
    monkeypatch.setenv("PYRAMID_LOADER_PROBE", "later")
    assert "PYRAMID_LOADER_PROBE" not in loader.started_environ()
    assert loader.started_environ().get("PATH") is not None
    monkeypatch.setenv("LD_LIBRARY_PATH", "/later")
    assert loader.search_values(os.environ)[-1] == "/later"  # looked at too, after the start's
