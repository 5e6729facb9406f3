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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from importlib.metadata import Distribution


def holders(files: Iterable[str], paths: Sequence[str] | None = None) -> dict[str, list[str]]:
    """For each of ``files`` (absolute paths) some distribution holds, the names of those
    that hold it (from their metadata's ``Name``); a file none holds is left out. Reads the
    metadata of the distributions on ``paths`` (``sys.path`` by default): only the records of
    those installed in the folder of a wanted file, each once."""
    from importlib.metadata import distributions

    wanted: dict[str, list[str]] = {}
    for file in files:
        wanted.setdefault(os.path.realpath(file), []).append(file)
    found: dict[str, list[str]] = {}
    resolved: dict[str, tuple[str, dict[str, str]]] = {}
    for dist in distributions(path=list(paths)) if paths is not None else distributions():
        held = _held(dist, wanted, resolved)
        name = _name(dist) if held else None
        if name is None:
            continue
        for file in (file for path in held for file in wanted[path]):
            if name not in found.setdefault(file, []):
                found[file].append(name)
    return found


def _name(dist: Distribution) -> str | None:
    """The distribution's ``Name`` header: read from the headers alone, since
    ``dist.metadata`` parses the whole file, long description included (half the lookup's
    time, measured)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    for line in text.partition("\n\n")[0].splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "name":
            return value.strip() or None
    return None


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
    if not any(rel in text for rel in relative):  # most records: no csv parse
        return []
    # installed-files.txt names files from inside the .egg-info folder, a child of ``folder``
    start = os.path.join(folder, "EGG-INFO") if inside else folder
    found = set()
    for entry in _entries(text, inside):
        if entry in relative:  # the usual entry: already the file's path below ``folder``
            found.add(relative[entry])
        elif entry.startswith(("/", ".")) or "/." in entry or "//" in entry:
            # absolute (PEP 376 allows it), or spelled with ``..``/``.``: compared normalized
            found.add(os.path.normpath(os.path.join(start, entry)))
    return [path for path in relative.values() if path in found]


def _listing(dist: Distribution) -> tuple[str, bool] | None:
    """The text of the distribution's file list, and whether its paths are relative to its
    metadata folder (``installed-files.txt``) rather than to the folder holding it."""
    record = dist.read_text("RECORD")
    if record is not None:
        return record, False
    legacy = dist.read_text("installed-files.txt")
    return (legacy, True) if legacy is not None else None


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
