"""pytest's assertion-rewriting cache, held to the closed world's rule for bytecode.

pytest caches the rewritten code of test modules and conftests in ``__pycache__``. Before
pytest 9.2 the cache entry is a timestamp ``.pyc``: valid whenever the source's mtime (in
whole seconds) and size match, so a test file edited twice within a second to the same size,
or restored with its old mtime (a CI cache, ``touch -r``, an archive), runs the rewritten code
of *other* bytes while the closed world hashes the file on disk. pytest 9.2 and later write
checked hash-based entries (the source's hash is compared on every read), which prove
themselves. This guard lets pytest use only those: any other entry reads as a miss, so pytest
rewrites the module from the bytes on disk (what it does anyway under
``PYTHONDONTWRITEBYTECODE`` or a cold cache).

The guard is also where the closed world hashes a rewritten module (issue 19: "hashing
imported files must not read a file twice"): the source is read once, recorded
(``run/imported.py: source_read``), and handed to pytest's own cache check and, on a miss,
to its rewrite, so the bytes hashed are the bytes the run's code was checked against or
compiled from, and pytest does not read the file again.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType

#: PEP 552 flags of a hash-based pyc whose source hash is checked on every read
CHECKED_HASH = b"\x03\x00\x00\x00"


def provable(pyc: Path) -> bool:
    """Whether a cache entry proves its source: a checked hash-based pyc (its header's flags)."""
    try:
        with open(pyc, "rb") as handle:
            header = handle.read(8)
    except OSError:
        return False
    return len(header) == 8 and header[4:8] == CHECKED_HASH


class _Read(type(Path())):  # type: ignore[misc]  # the platform's concrete path class
    """A source path whose bytes were already read (and recorded): pytest's cache check and
    rewrite take them from here instead of reading the file again."""

    _bytes: bytes | None = None

    def read_bytes(self) -> bytes:
        return super().read_bytes() if self._bytes is None else self._bytes


#: the source the cache check read, by path, for the rewrite that follows a miss (one entry
#: at a time: pytest's ``exec_module`` checks the cache and rewrites the same module)
_KEPT: dict[str, bytes] = {}


def _read(source: Path) -> _Read:
    from pytest_pyramid.run.imported import source_read

    path = _Read(source)
    path._bytes = source_read(str(source))
    return path


def guarded(read_pyc: Callable[..., CodeType | None]) -> Callable[..., CodeType | None]:
    """pytest's ``_read_pyc`` that treats an entry which cannot prove its source as a miss,
    checking a proving one against the source bytes it read and recorded once."""
    if getattr(read_pyc, "pyramid_guarded", False):
        return read_pyc

    def read(source: Path, pyc: Path, *args: Any, **kwargs: Any) -> CodeType | None:
        _KEPT.pop(str(source), None)
        try:
            path = _read(source)
        except OSError:
            return None  # as pytest's own check answers; its rewrite raises the error
        if not provable(pyc):
            _KEPT[str(source)] = path.read_bytes()
            return None
        code = read_pyc(path, pyc, *args, **kwargs)
        if code is None:
            _KEPT[str(source)] = path.read_bytes()
        return code

    read.pyramid_guarded = True  # type: ignore[attr-defined]
    return read


def guarded_rewrite(rewrite_test: Callable[..., Any]) -> Callable[..., Any]:
    """pytest's ``_rewrite_test`` compiling the bytes the cache check read and recorded (a
    rewrite without one before it, another caller's: read and recorded now)."""
    if getattr(rewrite_test, "pyramid_guarded", False):
        return rewrite_test

    def rewrite(fn: Path, *args: Any, **kwargs: Any) -> Any:
        kept = _KEPT.pop(str(fn), None)
        if kept is None:
            path = _read(fn)
        else:
            path = _Read(fn)
            path._bytes = kept
        return rewrite_test(path, *args, **kwargs)

    rewrite.pyramid_guarded = True  # type: ignore[attr-defined]
    return rewrite


def records(loader: object) -> bool:
    """Whether the source ``loader`` executes is read and recorded by the guards (pytest's
    rewriter, both guards in place in this process); ``run/imported.py`` hashes any other
    loader's file itself. No pytest import: asked at each import of a file that no plain
    loader found."""
    rewrite = sys.modules.get("_pytest.assertion.rewrite")
    hook = getattr(rewrite, "AssertionRewritingHook", None)
    return (hook is not None and isinstance(loader, hook)
            and getattr(getattr(rewrite, "_read_pyc", None), "pyramid_guarded", False)
            and getattr(getattr(rewrite, "_rewrite_test", None), "pyramid_guarded", False))


def install() -> bool:
    """Guard the rewriter's cache reads and rewrites (once per process). False when this
    pytest has no ``_read_pyc`` or ``_rewrite_test`` to guard: a pytest without them fails
    ``tests/integration/run/test_stale_bytecode.py``, so an upgrade that moves them is
    noticed (until then the closed world hashes its modules as any other loader's)."""
    from _pytest.assertion import rewrite

    read_pyc = getattr(rewrite, "_read_pyc", None)
    rewrite_test = getattr(rewrite, "_rewrite_test", None)
    if read_pyc is None or rewrite_test is None:
        return False
    rewrite._read_pyc = guarded(read_pyc)
    rewrite._rewrite_test = guarded_rewrite(rewrite_test)
    from pytest_pyramid.run.imported import reads_itself

    reads_itself(records)  # asked at each import: a guard taken off again hashes as before
    return True
