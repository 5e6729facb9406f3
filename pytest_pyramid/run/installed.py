"""Which installed distribution holds a file: by what the distribution's own metadata says it
installed, read the way every installer writes it, on every Python version alike.

``importlib.metadata.packages_distributions`` is not that: on Python 3.10 it reads only
``top_level.txt``, a file setuptools writes and flit, hatchling, poetry and maturin do not
(exceptiongroup, execnet and packaging had no distribution there: every run on the lowest
versions was ``incomplete``), and 3.11's inference from ``RECORD`` keeps only ``*.py`` files.
Here a file is held by a distribution when:

- its ``RECORD`` lists it (PEP 376/627: every wheel installer writes one; paths relative to
  the folder holding the ``.dist-info``, or absolute),
- else its ``installed-files.txt`` lists it (pip's legacy ``setup.py install``; paths
  relative to the ``.egg-info`` folder),
- else, for a distribution that lists no files at all (Debian's ``.egg-info`` folders), its
  ``top_level.txt`` names the file's top-level package or module.

A file none lists is held by none (a stale install, a copied file): unknown, never a pass.
No pytest import; asked once per process, only for files from an install location.
"""

from __future__ import annotations

import csv
import inspect
import os
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from importlib.metadata import Distribution


def holders(files: Iterable[str], paths: Sequence[str] | None = None,
            every: Callable[[Sequence[Distribution]], bool] | None = None
            ) -> dict[str, list[str]]:
    """For each of ``files`` (absolute paths) some distribution holds, the names of those
    that hold it (from their metadata's ``Name``); a file none holds is left out. Reads the
    metadata of the distributions on ``paths`` (``sys.path`` by default): only the records of
    those installed in the folder of a wanted file, each once. ``every``: asked with the
    distributions whether every holder is wanted (the default); when it says no, a file's
    first holder found is enough: the records most likely to hold the files (a
    distribution named like a file's top-level package) are read first, and reading stops
    once every file has a holder (a record read where there were a hundred)."""
    from importlib.metadata import distributions

    wanted: dict[str, list[str]] = {}
    for file in files:
        wanted.setdefault(os.path.realpath(file), []).append(file)
    found: dict[str, list[str]] = {}
    resolved: dict[str, tuple[str, dict[str, str]]] = {}
    dists = list(distributions(path=list(paths)) if paths is not None else distributions())
    first_only = every is not None and not every(dists)
    if first_only:
        tops = _tops(wanted)
        dists.sort(key=lambda dist: _folder_name(dist) not in tops)  # stable: else as found
    asked = len(_files_of(wanted))
    for dist in dists:
        if first_only and len(found) == asked:
            break
        held = _held(dist, wanted, resolved)
        name = _name(dist) if held else None
        if name is None:
            continue
        for file in (file for path in held for file in wanted[path]):
            if name not in found.setdefault(file, []):
                found[file].append(name)
    return found


def _files_of(wanted: dict[str, list[str]]) -> list[str]:
    """The files as asked (each spelling of a wanted real path)."""
    return [file for spellings in wanted.values() for file in dict.fromkeys(spellings)]


def _tops(wanted: dict[str, list[str]]) -> set[str]:
    """The wanted files' own names and their folders' names, normalized as a distribution's
    folder name is (:func:`_folder_name`): the likely holders' names."""
    return {_normal(part.partition(".")[0]) for path in wanted
            for part in path.split(os.sep)[-4:]}


def _folder_name(dist: Distribution) -> str:
    """The name a distribution's metadata folder gives (``pytest_cov-7.0.dist-info``:
    ``pytest_cov``), normalized: an order to read records in, never a judgement."""
    folder = getattr(dist, "_path", None)
    name = os.path.basename(str(folder)).partition("-")[0].removesuffix(".egg")
    return _normal(name) if folder else ""


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _name(dist: Distribution) -> str | None:
    """The distribution's ``Name`` header (see :func:`headers`)."""
    name = headers(dist, ("name",))[0]
    return name.strip() or None if name else None


#: a header line's name, as the ``email`` package reads one (printable ASCII but ``:``)
_HEADER_NAME = frozenset(chr(code) for code in range(0o41, 0o177) if chr(code) != ":")


def headers(dist: Distribution, names: Sequence[str]) -> list[str | None]:
    """The first value of each header ``names`` (lower case) of the distribution's metadata,
    as ``dist.metadata[NAME]`` gives it (headers only: not the body's ``Description``), read
    from the header block alone: ``dist.metadata``
    parses the whole file with the ``email`` package, long description included (a few ms a
    hundred distributions here against 280 ms for ``interpreter_identity``'s digest)."""
    text = _read(dist, "METADATA") or _read(dist, "PKG-INFO") or _read(dist, "") or ""
    found: dict[str, str] = {}
    current = None
    # the email parser's header block (compat32): ends at the first empty line or the
    # first line that is neither a header nor a continuation; a continuation line is kept
    # with its newline and indent; a "From " line is the envelope's, no header
    for line in ("" if text.startswith("\n") else text.partition("\n\n")[0]).split("\n"):
        if line[:1] in (" ", "\t"):
            if current is not None:
                found[current] += "\n" + line
            continue
        if line.startswith("From "):
            continue
        key, sep, value = line.partition(":")
        if not sep or not _HEADER_NAME.issuperset(key):
            break
        current = key.lower() if key.lower() not in found else None
        if current is not None:
            found[current] = value.lstrip(" \t")
    return [_redent(found.get(name)) for name in names]


def _redent(value: str | None) -> str | None:
    """A folded value as ``importlib.metadata``'s message gives it (dedented as RFC 822
    indents it)."""
    if not value or "\n" not in value:
        return value
    import textwrap

    return textwrap.dedent(" " * 8 + value)


def _held(dist: Distribution, wanted: dict[str, list[str]],
          resolved: dict[str, tuple[str, dict[str, str]]]) -> list[str]:
    """Which of ``wanted`` (resolved paths) ``dist`` holds. ``resolved``: by install folder
    as found, the folder resolved and the wanted files below it by their relative path."""
    try:
        base = str(dist.locate_file(""))
    except NotImplementedError:  # a finder's own Distribution with no folder: holds nothing
        return []
    if base not in resolved:  # once per install folder, not per distribution
        folder = os.path.join(os.path.realpath(base), "")
        resolved[base] = (folder, {path[len(folder):]: path for path in wanted
                                   if path.startswith(folder)})
    folder, relative = resolved[base]
    if not relative:  # a record is read only when a wanted file lies in its folder
        return []
    listing = _listing(dist)
    if listing is None:
        return _by_top_level(dist, relative)
    text, inside = listing
    if not inside and _plain(text):
        return _held_plain(text, folder, relative)
    entries = set(_entries(text, inside))
    # the usual entry: already the file's path below ``folder`` (a set intersection: every
    # record of the folder is read, and a substring search per wanted file and record cost
    # three times the reading)
    found = {relative[entry] for entry in entries.intersection(relative)}
    if _spelled_otherwise(text):
        # installed-files.txt names files from inside the .egg-info folder, a child of
        # ``folder``
        start = os.path.join(folder, "EGG-INFO") if inside else folder
        # absolute (PEP 376 allows it), or spelled with ``..``/``.``: compared normalized
        found.update(os.path.normpath(os.path.join(start, entry)) for entry in entries
                     if entry.startswith(("/", ".")) or "/." in entry or "//" in entry)
    return [path for path in relative.values() if path in found]


#: the line breaks ``str.splitlines`` knows besides ``\n`` (``\r`` is gone: :func:`_read`)
_OTHER_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _plain(text: str) -> bool:
    """A ``RECORD`` whose lines are split at ``\n`` alone and whose paths are all before
    the first comma (no quoted path, no other line break): :func:`_held_plain` reads it with
    a few searches of the whole text in C, where :func:`_entries` made a string and a call
    per line (a hundred records of 19,000 lines: most of a run's start-up here)."""
    return '"' not in text and not any(brk in text for brk in _OTHER_BREAKS)


def _held_plain(text: str, folder: str, relative: dict[str, str]) -> list[str]:
    """:func:`_held`'s answer for a :func:`_plain` ``RECORD``: the same entries matched,
    found by searching for each wanted path as a line's first field, and for the entries
    spelled otherwise (absolute, ``.``/``..``, ``//``) by searching for those spellings."""
    found = {path for rel, path in relative.items() if _listed(text, rel)}
    for entry in _odd_entries(text):
        found.add(os.path.normpath(os.path.join(folder, entry)))
    return [path for path in relative.values() if path in found]


def _listed(text: str, rel: str) -> bool:
    """Whether a line of ``text`` has ``rel`` as its first field (all of it, or before a
    comma)."""
    return (text.startswith((rel + ",", rel + "\n")) or text == rel
            or f"\n{rel}," in text or f"\n{rel}\n" in text or text.endswith("\n" + rel))


def _odd_entries(text: str) -> set[str]:
    """The first fields of the lines of ``text`` that start with ``/`` or ``.`` or hold
    ``/.`` or ``//`` (:func:`_held`'s entries spelled otherwise), found by searching for
    those spellings rather than by reading every line (a wheel's scripts, ``../../bin/x``,
    are the usual ones: a few a record)."""
    found: set[str] = set()
    for needle in ("\n/", "\n.", "/.", "//"):
        at = text.find(needle)
        while at != -1:
            start = text.rfind("\n", 0, at + (needle[0] == "\n")) + 1
            end = text.find("\n", start)
            entry = text[start:] if end == -1 else text[start:end]
            entry = entry.partition(",")[0]
            if entry.startswith(("/", ".")) or "/." in entry or "//" in entry:
                found.add(entry)
            at = text.find(needle, (end if end != -1 else len(text)))
    if text.startswith(("/", ".")):
        found.add(text.partition("\n")[0].partition(",")[0])
    return found


def _spelled_otherwise(text: str) -> bool:
    """Whether some entry of a listing may be absolute or spelled with ``.``/``..`` (a few
    substring searches of the whole text, not one test per entry: most records hold none).
    An entry may start quoted (a CSV path holding a comma), so a quote counts too."""
    return (text.startswith(("/", ".", '"')) or "\n/" in text or "\n." in text
            or '"' in text or "/." in text or "//" in text)


def _listing(dist: Distribution) -> tuple[str, bool] | None:
    """The text of the distribution's file list, and whether its paths are relative to its
    metadata folder (``installed-files.txt``) rather than to the folder holding it."""
    record = _read(dist, "RECORD")
    if record is not None:
        return record, False
    legacy = _read(dist, "installed-files.txt")
    return (legacy, True) if legacy is not None else None


def metadata_text(dist: Distribution, name: str) -> str | None:
    """``dist.read_text(name)``, one ``open`` where the metadata is a folder (:func:`_read`)."""
    return _read(dist, name)


def _read(dist: Distribution, name: str) -> str | None:
    """``dist.read_text(name)``, read with one ``open`` when the metadata is a folder on disk
    (every record of an install folder is read: pathlib's joins and the text layer were half
    of it); the same errors mean "no such file" as in ``read_text``."""
    folder = getattr(dist, "_path", None)
    if not isinstance(folder, PurePath):  # a zip's or a finder's: its own reader
        return dist.read_text(name)
    try:
        with open(os.path.join(folder, name), "rb") as handle:
            text = handle.read().decode()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return None
    # read_text's newlines, without its incremental decoder (a quarter of the reading)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _entries(text: str, inside: bool) -> list[str]:
    if inside:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if '"' not in text:  # no quoted path: the path is all before the first comma
        return [line.partition(",")[0] for line in text.splitlines()]
    # RECORD is CSV: a path holding a comma is quoted
    return [row[0] for row in csv.reader(text.splitlines()) if row and row[0]]


def _by_top_level(dist: Distribution, relative: dict[str, str]) -> list[str]:
    """The wanted files whose top-level package or module ``top_level.txt`` names."""
    names = set((dist.read_text("top_level.txt") or "").split())
    found = []
    for rel, path in relative.items():
        first, sep, _ = rel.partition(os.sep)
        if (first if sep else inspect.getmodulename(first)) in names:
            found.append(path)
    return found
