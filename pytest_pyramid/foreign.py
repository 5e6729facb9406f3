"""A foreign ``pytest_pyramid`` next to ours, found at start-up and named in one line.

The package index's ``pytest-pyramid`` (fixtures for the Pyramid web framework) is another
project with the same import package, ``pytest_pyramid``, and its own ``pytest11`` entry
point on ``pytest_pyramid.plugin``. Installed next to ``pytest-pyramid-verdict`` (ours), one
overwrites the other's files and pytest fails with something confusing (a plugin registered
twice, a missing module, the other project's fixtures asking for a Pyramid app). So the
entry points (``guard.py``, the entry point pytest loads first, ``plugin.py`` and the
``pyramid`` command) ask :func:`problem` before anything else and stop with its one line.

Cheap on purpose: every pytest start in every project where we are installed pays it (one
attribute, a few ``stat`` calls, a listing of the folders on ``sys.path``; the metadata
look-up, which pytest's own entry-point scan has already cached but which a ``pyramid``
command would import importlib.metadata for, only where a folder may hold the other's).
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

#: Our distribution; ``pytest_pyramid/__init__.py`` holds the same name as ``DISTRIBUTION``
#: (repeated here because a foreign ``__init__.py`` is exactly what this module must survive).
OURS = "pytest-pyramid-verdict"
#: The other project's distribution on the package index.
FOREIGN = "pytest-pyramid"
#: Modules every entry point needs; any of them missing means our files were removed (pip
#: uninstalls the other project's files, which are also ours, ``__init__.py`` and ``plugin.py``).
OWN_MODULES = ("__init__.py", "plugin.py", "markers.py", "config.py", "cli/__init__.py")
#: What to do about it, the same whichever way the clash happened.
REMEDY = (
    f"pip uninstall -y {FOREIGN} {OURS}, then pip install {OURS} (the two cannot share "
    "an environment)"
)


def _package_dirs() -> list[Path]:
    package = sys.modules.get("pytest_pyramid")
    if package is None:  # pragma: no cover - every caller is a module of the package
        import pytest_pyramid as package
    return [Path(entry) for entry in getattr(package, "__path__", [])]


def _names_it(entry: str, name: str) -> bool:
    """Whether a ``sys.path`` folder's entry may be metadata of distribution ``name``: as
    importlib.metadata matches a ``.dist-info``/``.egg-info`` (its name before the first
    ``-``, PEP 503-normalised with dashes as underscores); an ``.egg`` is one too."""
    low = entry.lower()
    if not low.endswith((".dist-info", ".egg-info", ".egg")):
        return False
    stem = low.rpartition(".")[0].partition("-")[0]
    return re.sub(r"[-_.]+", "_", stem) == re.sub(r"[-_.]+", "_", name.lower())


def _may_be_installed(name: str) -> bool:
    """False only when importlib.metadata surely finds no distribution ``name``: its path
    finder is the only finder of distributions and no folder on ``sys.path`` holds metadata
    of that name. Anything it cannot tell by listing folders (a zip or an egg on the path,
    another finder, an unreadable folder) is a maybe, and the full look-up answers. Spares
    the ``pyramid`` command (and the supervisor of every deploy) importing
    importlib.metadata, which pytest has imported anyway."""
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") and finder is not PathFinder
           for finder in sys.meta_path):
        return True
    for entry in sys.path:
        folder = entry or os.getcwd()
        if folder.lower().endswith(".egg"):
            return True
        try:
            children = os.listdir(folder)
        except NotADirectoryError:
            return True  # a zip on the path: its names are not listed here
        except FileNotFoundError:
            continue  # nothing there, for importlib.metadata either
        except OSError:
            return True
        if any(_names_it(child, name) for child in children):
            return True
    return False


def _foreign_version() -> str | None:
    """The other project's version, if its distribution is installed here. A distribution of
    that name with our ``pyramid_markers`` entry point is this project under its former name
    (a development environment from before the rename; ``./dev setup`` removes it)."""
    if not _may_be_installed(FOREIGN):
        return None
    from importlib import metadata

    try:
        dist = metadata.distribution(FOREIGN)
    except metadata.PackageNotFoundError:
        return None
    if any(ep.name == "pyramid_markers" for ep in dist.entry_points):
        return None
    return dist.version


@functools.lru_cache(maxsize=1)
def problem() -> str | None:
    """One line saying why ``pytest_pyramid`` here is not ours alone, or None."""
    dirs = _package_dirs()
    where = ", ".join(str(d) for d in dirs) or "?"
    version = _foreign_version()
    if version is not None:
        return (
            f"{OURS}: the package index's {FOREIGN} {version} (fixtures for the Pyramid web "
            f"framework, another project) is installed in this environment and shares the "
            f"import package pytest_pyramid ({where}); {REMEDY}"
        )
    missing = [name for name in OWN_MODULES if not any((d / name).is_file() for d in dirs)]
    package = sys.modules.get("pytest_pyramid")
    if missing or getattr(package, "DISTRIBUTION", None) != OURS:
        what = (
            f"{', '.join(missing)} missing" if missing
            else "its __init__.py is another project's"
        )
        return f"{OURS}: pytest_pyramid at {where} is not this project's ({what}); {REMEDY}"
    return None
