"""When a file was made: the one rule both places outside the repository ask, the imports'
(``run/loaded.py: outside_facts``, hostile case 402) and the reads' (``run/imported.py``,
case 350), to tell the run's own output from a file that existed before the run.

A file's birth time (``statx``'s ``stx_btime`` on Linux, ``st_birthtime`` where ``os.stat``
has it) is set when its inode is made and nothing changes it after: ``touch``, ``chmod``,
``os.utime`` or a hard link leave it, so a test that retimes a helper from before the run
cannot pass it off as made by the run (the hole its change time left open). A file replaced
(written anew, renamed over, copied) is a new inode: made by the run, rightly.

Where the file system keeps no birth time (NFS, some FUSE mounts) the fallback is the older,
weaker rule: both the change and the modification time since the run began (``touch`` then
still passes; docs/verdict.md says so).

No pytest import; ``ctypes`` is imported only when a file outside every free place is judged.
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: ``statx``'s arguments: relative to the working folder, follow links, the birth time
_AT_FDCWD, _STATX_BTIME = -100, 0x800


def born_ns(path: str) -> int | None:
    """``path``'s birth time in nanoseconds, or None where the system or the file system
    does not keep one (or the file is not there)."""
    if sys.platform.startswith("linux"):
        return _statx_btime(path)
    try:
        born = getattr(os.stat(path), "st_birthtime", None)  # macOS, the BSDs, Windows
    except OSError:
        return None
    return None if born is None else int(born * 1_000_000_000)


def made_since(path: str, since_ns: int, info: os.stat_result | None = None) -> bool:
    """Whether ``path`` was made at or after ``since_ns``: by its birth time where kept,
    else by its change *and* modification times (``info``: its ``os.stat``, if at hand)."""
    born = born_ns(path)
    if born is not None:
        return born >= since_ns
    try:
        found = os.stat(path) if info is None else info
    except OSError:
        return False
    return found.st_ctime_ns >= since_ns and found.st_mtime_ns >= since_ns


_STATX: list[Any] = []  # [libc's statx, the struct type], or [None, None] where there is none
#: loading raises audit events (``ctypes.dlopen``) the closed world's hook answers, which may
#: ask for a birth time again: that inner question gets the fallback rule, not a second load
_LOADING = [False]


def _statx_btime(path: str) -> int | None:
    if not _STATX:
        if _LOADING[0]:
            return None
        _LOADING[0] = True
        try:
            loaded = _load_statx()
        finally:
            _LOADING[0] = False
        if not _STATX:
            _STATX.extend(loaded)
    call, kind = _STATX
    if call is None:
        return None
    found = kind()
    import ctypes

    if call(_AT_FDCWD, os.fsencode(path), 0, _STATX_BTIME, ctypes.byref(found)) != 0:
        return None
    if not found.stx_mask & _STATX_BTIME:
        return None  # this file system keeps no birth time
    return int(found.stx_btime.tv_sec) * 1_000_000_000 + int(found.stx_btime.tv_nsec)


def _load_statx() -> tuple[Any, Any]:
    """libc's ``statx`` (glibc 2.28, musl 1.2.5) and ``struct statx``'s layout, or Nones."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.statx
    except (OSError, AttributeError):
        return None, None

    class Timestamp(ctypes.Structure):
        _fields_ = [("tv_sec", ctypes.c_int64), ("tv_nsec", ctypes.c_uint32),
                    ("reserved", ctypes.c_int32)]

    class Statx(ctypes.Structure):  # linux/stat.h; the tail is room for what newer kernels add
        _fields_ = [("stx_mask", ctypes.c_uint32), ("stx_blksize", ctypes.c_uint32),
                    ("stx_attributes", ctypes.c_uint64), ("stx_nlink", ctypes.c_uint32),
                    ("stx_uid", ctypes.c_uint32), ("stx_gid", ctypes.c_uint32),
                    ("stx_mode", ctypes.c_uint16), ("spare0", ctypes.c_uint16),
                    ("stx_ino", ctypes.c_uint64), ("stx_size", ctypes.c_uint64),
                    ("stx_blocks", ctypes.c_uint64), ("stx_attributes_mask", ctypes.c_uint64),
                    ("stx_atime", Timestamp), ("stx_btime", Timestamp),
                    ("stx_ctime", Timestamp), ("stx_mtime", Timestamp),
                    ("tail", ctypes.c_uint64 * 64)]

    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint,
                     ctypes.POINTER(Statx)]
    call.restype = ctypes.c_int
    return call, Statx
