"""Which measured files count: ``coverage_source`` entries as directories and files (pure)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["path_filter", "resolve_sources"]


def resolve_sources(
    entries: Sequence[str], rootdir: Path
) -> tuple[list[str], list[str], list[str]]:
    """Directories and files that ``coverage_source`` entries name, and the unresolved ones.

    An entry is a directory or file (relative to the rootdir) or an importable package or
    module name, like coverage's own ``source``.
    """
    dirs: list[str] = []
    files: list[str] = []
    unresolved: list[str] = []
    for entry in entries:
        path = Path(entry) if os.path.isabs(entry) else rootdir / entry
        if path.is_dir():
            dirs.append(os.path.realpath(path))
            continue
        if path.is_file():
            files.append(os.path.realpath(path))
            continue
        try:
            spec = importlib.util.find_spec(entry)
        except (ImportError, ValueError, AttributeError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            dirs.extend(os.path.realpath(p) for p in spec.submodule_search_locations)
        elif spec is not None and spec.origin and os.path.isfile(spec.origin):
            files.append(os.path.realpath(spec.origin))
        else:
            unresolved.append(entry)
    return dirs, files, unresolved


def path_filter(dirs: Sequence[str], files: Sequence[str]) -> Callable[[str], bool]:
    prefixes = tuple(d.rstrip(os.sep) + os.sep for d in dirs)
    exact = frozenset(files)

    def keep(path: str) -> bool:
        return path in exact or path.startswith(prefixes)

    return keep
