"""Was the code under test the project's own? Checked on the modules a run imported.

The tree digest names the files of the repository; the tests ran whatever Python imported.
Two ways they part: the project's packages imported from somewhere else (``PYTHONPATH``,
``-o pythonpath``, a stray install), and bytecode Python does not check against its source
(an unchecked hash-based ``.pyc`` runs whatever it holds). Only the packages named by
``[tool.pyramid] source`` are checked: the rest of the environment is not the code a verdict
names.
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
    """Why the imported code of the project's own packages is not the tree's, if it is not."""
    dirs = []
    names = set()
    for entry in source_paths:
        path = (rootdir / entry).resolve()
        dirs.append(str(path))
        names.add(path.stem if path.suffix == ".py" else path.name)
    if not names:
        return []
    found = []
    for name, module in list((sys.modules if modules is None else modules).items()):
        if name.partition(".")[0] not in names or module is None:
            continue
        file = getattr(module, "__file__", None)
        if not file:
            continue  # a namespace package: its modules are checked one by one
        real = os.path.realpath(file)
        if not any(real == d or real.startswith(d + os.sep) for d in dirs):
            found.append(f"{name} was imported from {real}, not from the project's source")
            continue
        spec = getattr(module, "__spec__", None)
        cached = getattr(spec, "cached", None)
        if cached and _unchecked_pyc(cached):
            found.append(f"{name} ran from bytecode Python does not check against its source "
                         f"({cached})")
    return sorted(found)
