"""Atomic file writes: readers see the old file or the new one, never a half-written one.

One helper for every stage (verdict, gates, xdist sync files, deploy state and router
configuration), so the rules live in one place: a temporary file in the same directory,
fsync, ``os.replace``, and the permissions a plain ``open()`` would have given.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (``mode`` defaults to 0666 minus the umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a verdict is read by other users (CI, a deploy account)
        os.chmod(tmp_name, (0o666 & ~_umask()) if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str, *, mode: int | None = None) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), mode=mode)


def dumps_strict(data: object, *, indent: int | None = 2) -> str:
    """JSON that strict parsers accept: NaN and infinities are refused, not written."""
    return json.dumps(data, indent=indent, sort_keys=False, allow_nan=False)


def write_json_atomic(path: Path, data: Mapping[str, object] | object) -> None:
    """Strict JSON (no ``NaN``/``Infinity``), written atomically with a trailing newline."""
    write_text_atomic(path, dumps_strict(data) + "\n")
