"""Which installed distribution holds a file (``run/installed.py``): by the distribution's own
record, in each layout an installer writes, the same on every Python version (3.10's
``packages_distributions`` read only ``top_level.txt``, which flit and hatchling never write:
the lowest-versions run named exceptiongroup, execnet and packaging as held by nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.installed import holders

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

META = "Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"


def _files(site: Path, *files: str) -> None:
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_text("")


def _info(site: Path, folder: str, listing: dict[str, str | None]) -> None:
    """A metadata folder ``folder`` in ``site`` holding each file of ``listing`` given text."""
    (site / folder).mkdir(parents=True)
    for name, text in listing.items():
        if text is not None:
            (site / folder / name).write_text(text)


def _dist_info(site: Path, name: str, record: str | None, top_level: str | None = None) -> None:
    _info(site, f"{name}-1.0.dist-info", {"METADATA": META.format(name=name),
                                          "RECORD": record, "top_level.txt": top_level})


def _egg_info(site: Path, name: str, installed: str | None, top_level: str | None) -> None:
    _info(site, f"{name}-1.0.egg-info", {"PKG-INFO": META.format(name=name),
                                         "installed-files.txt": installed,
                                         "top_level.txt": top_level})


def _two(site: Path, record: str) -> None:
    _dist_info(site, "a", record)
    _dist_info(site, "b", record)


@pytest.mark.parametrize(("layout", "file", "held"), [
    # flit/hatchling wheels: RECORD and no top_level.txt (exceptiongroup, execnet, packaging)
    pytest.param(lambda s: _dist_info(s, "exceptiongroup", "exceptiongroup/__init__.py,"
                                      "sha256=x,10\nexceptiongroup-1.0.dist-info/RECORD,,\n"),
                 "exceptiongroup/__init__.py", ["exceptiongroup"], id="record-no-top-level"),
    pytest.param(lambda s: _dist_info(s, "six", "six.py,,\n"), "six.py", ["six"],
                 id="record-single-module"),
    pytest.param(lambda s: _dist_info(s, "fast", "_fast.cpython-310-x86_64-linux-gnu.so,,\n"),
                 "_fast.cpython-310-x86_64-linux-gnu.so", ["fast"], id="record-extension"),
    pytest.param(lambda s: _dist_info(s, "odd", '"odd,name.py",,\n'), "odd,name.py", ["odd"],
                 id="record-quoted-path"),
    # the record lists files, not folders: a file written beside them later is no one's
    pytest.param(lambda s: _dist_info(s, "pkg", "pkg/__init__.py,,\n", "pkg\n"),
                 "pkg/stale.py", [], id="record-does-not-list-it"),
    pytest.param(lambda s: None, "legacy_util.py", [], id="no-distribution"),
    # pip's legacy `setup.py install`: paths relative to the .egg-info folder
    pytest.param(lambda s: _egg_info(s, "old", "../old/__init__.py\nPKG-INFO\n", "old\n"),
                 "old/__init__.py", ["old"], id="installed-files-txt"),
    # Debian's .egg-info: no file list at all, only the top-level names it declares
    pytest.param(lambda s: _egg_info(s, "crcmod", None, "crcmod\n"), "crcmod/__init__.py",
                 ["crcmod"], id="top-level-txt-only"),
    pytest.param(lambda s: _egg_info(s, "crcmod", None, "crcmod\n"), "other.py", [],
                 id="top-level-txt-names-another"),
    # two distributions list one file (a namespace's __init__, a fork): both hold it
    pytest.param(lambda s: _two(s, "ns/__init__.py,,\n"), "ns/__init__.py", ["a", "b"],
                 id="two-holders"),
])
def test_a_file_is_held_by_the_distributions_whose_record_lists_it(
    tmp_path: Path, layout: Callable[[Path], None], file: str, held: list[str],
) -> None:
    site = tmp_path / "site-packages"
    _files(site, file)
    layout(site)
    found = holders([str(site / file)], [str(site)])
    assert sorted(found.get(str(site / file), [])) == held


def test_a_file_reached_through_a_linked_folder_is_held(tmp_path: Path) -> None:
    """A virtualenv's ``lib64`` linked to ``lib``: the file and the record's folder are
    compared resolved."""
    site = tmp_path / "lib/site-packages"
    _files(site, "six.py")
    _dist_info(site, "six", "six.py,,\n")
    (tmp_path / "lib64").symlink_to(tmp_path / "lib")
    linked = str(tmp_path / "lib64/site-packages/six.py")
    assert holders([linked], [str(site)]) == {linked: ["six"]}


def test_an_absolute_path_in_a_record_is_held(tmp_path: Path) -> None:
    """PEP 376 lets a record name a file by its absolute path."""
    site = tmp_path / "site-packages"
    _files(site, "tool.py")
    _dist_info(site, "tool", f"{site}/tool.py,,\n")
    assert holders([str(site / "tool.py")], [str(site)]) == {str(site / "tool.py"): ["tool"]}


@pytest.mark.parametrize("metadata", [
    "Metadata-Version: 2.1\nName: acme-lib\nVersion: 1.0\n\nName: body\n",
    "Metadata-Version: 2.1\r\nName:  acme-lib\r\nVersion: 1.0\r\n",
    "Metadata-Version: 2.1\nName: acme-lib\nName: second\nVersion: 1.0\n",
    "Metadata-Version: 2.1\nSummary: one\n  two\n\tthree\nName: acme-lib\nVersion: 1.0\n",
    "Metadata-Version: 2.1\nnot a header\nName: acme-lib\nVersion: 1.0\n",
    "\nName: acme-lib\nVersion: 1.0\n",
    "Metadata-Version: 2.1\nVersion: 1.0\n",
    "Metadata-Version: 2.1\nLicense: first\n        second\n        \n        third\nName: x\n",
])
def test_headers_are_read_as_importlib_metadata_reads_them(tmp_path: Path, metadata: str) -> None:
    # the header block alone (interpreter_identity's digest of every distribution): the
    # same values as the email package's parse of the whole file
    from importlib.metadata import distributions

    from pytest_pyramid.run.installed import headers

    folder = tmp_path / "acme_lib-1.0.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_bytes(metadata.encode())
    (dist,) = distributions(path=[str(tmp_path)])
    names = ("name", "version", "summary", "license")
    assert headers(dist, names) == [dist.metadata[name.title()] for name in names]


@pytest.mark.parametrize(("roots", "expected"), [
    (["tests/unit"], ["tests/unit", "tests/unit/a.py", "tests/unit/sub/"]),
    (["tests"], ["tests/unit", "tests/unit/a.py", "tests/unit/sub/", "tests/unitx.py"]),
    ([""], None),
    ([], None),
    (["missing"], []),
])
def test_files_under_a_root_as_git_s_literal_pathspec_matches(
    tmp_path: Path, roots: list[str], expected: list[str] | None
) -> None:
    from pytest_pyramid.run._git import files_under

    listing = ["a.py", "tests/unit", "tests/unit/a.py", "tests/unit/sub/", "tests/unitx.py"]
    assert files_under(tmp_path, roots, listing) == (listing if expected is None else expected)


@pytest.mark.parametrize(("record", "held"), [
    pytest.param("six.py,sha256=x,10\r\n", True, id="crlf-first-line"),
    pytest.param("a.py,,\nsix.py", True, id="last-line-no-comma"),
    pytest.param("six.pyc,,\nxsix.py,,\n", False, id="prefix-and-suffix-only"),
    pytest.param("../site-packages/six.py,,\n", True, id="dot-dot"),
    pytest.param("a.py,,\n./six.py,,\n", True, id="dot-slash"),
    pytest.param("a.py,,\nsub//../six.py,,\n", True, id="double-slash"),
    pytest.param("a.py,,\nsub/./../six.py,,\n", True, id="slash-dot-inside"),
    pytest.param("a.py,,/./six.py\n", False, id="spelling-in-another-field"),
    pytest.param("a.py,,\n\x1csix.py,,\n", True, id="another-line-break"),
    pytest.param('"six.py",,\n', True, id="quoted"),
])
def test_a_record_is_matched_by_its_lines_first_fields(
    tmp_path: Path, record: str, held: bool
) -> None:
    """The record read by searching its whole text (no quote, no line break but ``\\n``) and
    line by line (the others) agree: a line's first field, spelled otherwise or not."""
    site = tmp_path / "site-packages"
    _files(site, "six.py")
    _dist_info(site, "six", record)
    found = holders([str(site / "six.py")], [str(site)])
    assert found == ({str(site / "six.py"): ["six"]} if held else {})


def test_the_first_holder_is_enough_when_every_holder_is_not_wanted(tmp_path: Path) -> None:
    """``every`` saying no: the record named like the file is read first, and the others
    only while a file has no holder; saying yes (or not asked), every holder is named."""
    site = tmp_path / "site-packages"
    _files(site, "ns/__init__.py", "stale.py")
    _two(site, "ns/__init__.py,,\n")
    _dist_info(site, "ns", "ns/__init__.py,,\n")
    wanted = str(site / "ns/__init__.py")
    asked: list[int] = []

    def every(dists: object) -> bool:
        asked.append(len(list(dists)))  # type: ignore[call-overload]
        return False

    assert holders([wanted], [str(site)], every=every) == {wanted: ["ns"]}
    assert asked == [3]
    assert sorted(holders([wanted], [str(site)], every=lambda _: True)[wanted]) == [
        "a", "b", "ns"]
    assert holders([str(site / "stale.py")], [str(site)], every=lambda _: False) == {}
