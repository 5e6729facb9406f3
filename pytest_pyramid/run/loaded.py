"""Was the code under test the project's own? Checked on the modules a run imported.

The tree digest names the files of the repository; the tests ran whatever Python imported.
Two ways they part: the project's packages imported from somewhere else (``PYTHONPATH``,
``-o pythonpath``, a stray install), and bytecode Python does not check against its source
(an unchecked hash-based ``.pyc`` runs whatever it holds). The packages named by
``[tool.pyramid] source`` are checked, or, when it is not set, the repository's own top-level
packages (folders with ``__init__.py`` at the project's root and under ``src/`` that git
tracks): an installed copy shadowing the tree is found without configuration. The rest of
the environment is not the code a verdict names.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path
    from types import ModuleType

#: the pyc header flag bits (PEP 552): hash-based, and whether the hash is checked
_HASH_BASED = 0b01
_CHECK_SOURCE = 0b10


def _unchecked_pyc(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            header = handle.read(16)
    except OSError:
        return False
    if len(header) < 8:
        return False
    flags = int.from_bytes(header[4:8], "little")
    return hash_pyc_unchecked(flags)


def hash_pyc_unchecked(flags: int) -> bool:
    """Whether this interpreter runs a hash-based ``.pyc`` with these PEP 552 flags without
    comparing it to its source: an unchecked one always, unless ``--check-hash-based-pycs
    always``; a checked one too under ``--check-hash-based-pycs never``."""
    if not flags & _HASH_BASED:
        return False
    import _imp

    mode = getattr(_imp, "check_hash_based_pycs", "default")
    if mode == "never":
        return True
    return not flags & _CHECK_SOURCE and mode != "always"


def foreign_code(
    source_paths: Iterable[str],
    rootdir: Path,
    modules: Mapping[str, ModuleType] | None = None,
) -> list[str]:
    """Why the imported code of the project's own packages is not the tree's, if it is not.
    Without ``source_paths`` the project's own are its tracked top-level packages."""
    declared = list(source_paths)
    entries = declared or default_packages(rootdir)
    found = _foreign(entries, rootdir, sys.modules if modules is None else modules)
    if declared or not found:
        return sorted(message for _, message in found)
    # a folder is the project's package only when git tracks it (asked only now: rare)
    from pytest_pyramid.run.invocation import git_tracked

    inits = {entry: rootdir / entry if entry.endswith(".py") else rootdir / entry / "__init__.py"
             for entry in {e for e, _ in found}}
    tracked = git_tracked(list(inits.values()), rootdir)
    return sorted(f"{message} (the repository's "
                  + (f"module {entry}" if entry.endswith(".py") else f"package {entry}/")
                  + ": [tool.pyramid] source is not set, so its tracked top-level packages "
                  "and modules are the project's)"
                  for entry, message in found if inits[entry] in tracked)


def default_packages(rootdir: Path) -> list[str]:
    """The folders with ``__init__.py`` and the ``*.py`` modules at ``rootdir`` and under
    ``src/`` (relative paths): the project's packages and modules when ``[tool.pyramid]
    source`` is not set (a project whose code is one module has no package: hostile case
    147). A name of the standard library is left out (importing the standard library's is
    not foreign), and so is ``conftest.py``: pytest imports every conftest as a top-level
    ``conftest``, so another folder's would look like a foreign copy of it."""
    found = []
    for base in ("", "src"):
        try:
            entries = list(os.scandir(rootdir / base))
        except OSError:
            continue
        for entry in entries:
            if _own_code(entry):
                found.append(f"{base}/{entry.name}" if base else entry.name)
    return sorted(found)


def _own_code(entry: os.DirEntry[str]) -> bool:
    """A top-level module (``*.py``) or package (a folder with ``__init__.py``) of the project."""
    stem, dot, suffix = entry.name.rpartition(".")
    if dot and suffix == "py":
        return (stem.isidentifier() and stem != "conftest"
                and stem not in sys.stdlib_module_names and entry.is_file())
    return (entry.name.isidentifier() and entry.name not in sys.stdlib_module_names
            and entry.is_dir() and os.path.isfile(os.path.join(entry.path, "__init__.py")))


def _foreign(entries: Iterable[str], rootdir: Path, modules: Mapping[str, ModuleType]
             ) -> list[tuple[str, str]]:
    """(source entry, why) for each imported module of these packages that is not the
    tree's code."""
    dirs: dict[str, list[tuple[str, str]]] = {}  # top-level name -> [(folder, entry)]
    for entry in entries:
        path = (rootdir / entry).resolve()
        name = path.stem if path.suffix == ".py" else path.name
        dirs.setdefault(name, []).append((str(path), entry))
    if not dirs:
        return []
    found = []
    for name, module in list(modules.items()):
        where = dirs.get(name.partition(".")[0])
        if where is None or module is None:
            continue
        file = getattr(module, "__file__", None)
        if not file:
            continue  # a namespace package: its modules are checked one by one
        real = os.path.realpath(file)
        entry = where[0][1]
        if not any(real == folder or real.startswith(folder + os.sep) for folder, _ in where):
            found.append((entry, f"{name} was imported from {real}, not from the project's "
                          "source"))
            continue
        spec = getattr(module, "__spec__", None)
        cached = getattr(spec, "cached", None)
        if cached and _unchecked_pyc(cached):
            found.append((entry, f"{name} ran from bytecode Python does not check against "
                          f"its source ({cached})"))
    return found
