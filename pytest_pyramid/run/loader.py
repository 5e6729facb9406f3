"""Where the dynamic loader takes native code from: the path lists it reads when a process
starts (``LD_LIBRARY_PATH``, ``LD_PRELOAD``), split as it splits them, and a bare library name
(``ctypes.CDLL("libanswer.so")``) resolved as it resolves one.

One route for both judgements (hostile case 297): the invocation judges an allowed variable's
entries (``run/invocation.py: loader_entry_reasons``), the closed world places the library a
``ctypes.dlopen`` names (``run/imported.py: _dispatch``). ``ctypes.util.find_library`` is not
the loader (it asks ``ldconfig`` and the compiler, never ``LD_LIBRARY_PATH``). No pytest
import: it reads the process's starting environment and looks at folders.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

LIBRARY_PATH = "LD_LIBRARY_PATH"
PRELOAD = "LD_PRELOAD"
#: the loader's path-list variables -> the characters that separate their entries (glibc's
#: ``ld.so``: ``:`` or ``;`` in the search path, ``:`` or white space between preloads)
PATH_LISTS: Mapping[str, str] = {LIBRARY_PATH: ":;", PRELOAD: ": \t\n"}
#: the subfolders of a search folder glibc (2.33 and later) tries first, one per CPU level
HWCAPS = "glibc-hwcaps"
#: where the kernel shows the environment a process started with: the loader's copy
#: (``os.environ`` is Python's, which project code can change after the loader read it)
PROC_ENVIRON = "/proc/self/environ"
#: the starting environment, read once per process (a forked child starts with the same)
_STARTED: list[dict[str, str]] = []


def entries(name: str, value: str) -> list[str]:
    """The entries of path list ``name`` as the loader splits ``value``. An empty entry of
    the search path is the working folder, so it is kept (as ``""``); an empty preload is
    nothing."""
    separators = PATH_LISTS.get(name, ":")
    for separator in separators[1:]:
        value = value.replace(separator, separators[0])
    found = value.split(separators[0])
    if name == PRELOAD:
        return [entry for entry in found if entry]
    return found


def started_environ() -> dict[str, str]:
    """The environment this process started with, as the kernel keeps it ({} when it cannot
    be read: not Linux)."""
    if not _STARTED:
        try:
            with open(PROC_ENVIRON, "rb") as handle:
                raw = handle.read()
        except OSError:
            raw = b""
        pairs = (item.partition(b"=") for item in raw.split(b"\0") if b"=" in item)
        _STARTED.append({os.fsdecode(key): os.fsdecode(value) for key, _, value in pairs})
    return _STARTED[0]


def search_values(environ: Mapping[str, str]) -> list[str]:
    """The search path values a library lookup of this process may have used: the one it
    started with (the loader's) first, then ``os.environ``'s when it differs (the kernel's
    copy can be overwritten in place, ``setproctitle``): more places looked at, never fewer."""
    values = [started_environ().get(LIBRARY_PATH), environ.get(LIBRARY_PATH)]
    return [value for value in dict.fromkeys(values) if value is not None]


def candidates(library: str, values: Sequence[str], cwd: str) -> Iterator[str]:
    """The files the loader tries for a bare ``library`` name from the search path
    ``values``, in its order: each entry's hardware-capability subfolders, then the entry
    (a relative or empty entry is relative to the working folder)."""
    for value in values:
        for entry in entries(LIBRARY_PATH, value):
            folder = os.path.join(cwd, entry)
            hwcaps = os.path.join(folder, HWCAPS)
            try:
                levels = sorted(os.listdir(hwcaps), reverse=True)
            except OSError:
                levels = []
            yield from (os.path.join(hwcaps, level, library) for level in levels)
            yield os.path.join(folder, library)


def resolve(library: str, values: Sequence[str], cwd: str) -> str | None:
    """The file the loader loads for ``library``: a name with a ``/`` is a path (relative to
    the working folder); a bare name is the first file found in the search path's entries.
    None when the search path holds none: the loader then looks in its cache and the
    system's folders, outside any repository."""
    if "/" in library:
        return os.path.join(cwd, library)
    return next((path for path in candidates(library, values, cwd) if os.path.isfile(path)),
                None)
