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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
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


def guarded(read_pyc: Callable[..., CodeType | None]) -> Callable[..., CodeType | None]:
    """pytest's ``_read_pyc`` that treats an entry which cannot prove its source as a miss."""
    if getattr(read_pyc, "pyramid_guarded", False):
        return read_pyc

    def read(source: Path, pyc: Path, *args: Any, **kwargs: Any) -> CodeType | None:
        if not provable(pyc):
            return None
        return read_pyc(source, pyc, *args, **kwargs)

    read.pyramid_guarded = True  # type: ignore[attr-defined]
    return read


def install() -> bool:
    """Guard the rewriter's cache reads (once per process). False when this pytest has no
    ``_read_pyc`` to guard: a pytest without it fails
    ``tests/integration/run/test_stale_bytecode.py``, so an upgrade that moves it is noticed."""
    from _pytest.assertion import rewrite

    read_pyc = getattr(rewrite, "_read_pyc", None)
    if read_pyc is None:
        return False
    rewrite._read_pyc = guarded(read_pyc)
    return True
