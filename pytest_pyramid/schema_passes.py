"""Inputs known to have passed a JSON Schema, so a run need not import jsonschema again.

Importing jsonschema (with referencing, attrs, rpds and the bundled meta-schemas) costs about
100 ms of CPU, most of a configured run's start-up; a project's ``[tool.pyramid]`` table
rarely changes between runs. An entry records one fact only: *this exact input passed this
exact schema under this exact validator*. Its name is the SHA-256 of all three (the key), so:

- a changed table, schema, validator or Python is a different key: a miss, and the check
  runs;
- a missing, corrupt or foreign entry is a miss (an entry holds its own key, compared on
  read): the check runs;
- an entry can never vouch for bytes other than the ones it was computed from.

What an entry cannot prove is that it was written by a check: whoever can write the cache
folder could plant the key of one particular invalid table (docs/verdict.md says so, as it
says the same of anyone who can edit the tested code). Values JSON cannot carry exactly
(TOML dates, non-finite floats) give no key: such a table is always checked.

The folder is pytest's cache (``.pytest_cache/d/pytest-pyramid``, written through
``config.cache`` so its ``.gitignore`` and ``CACHEDIR.TAG`` exist); ``-p no:cacheprovider``
means no folder and a check every run. Pure: no pytest import.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

#: bumped whenever what a key covers changes: older entries then simply miss
_VERSION = b"pytest-pyramid schema pass 1\0"
#: the folder's entries beyond this many are pruned, oldest first (one per table ever seen)
KEEP = 32
#: jsonschema's files whose code decides pass or fail for our (Draft 7, local $ref) schema
#: (the keywords' two modules were ``_validators.py`` and ``_legacy_validators.py`` before 4.19)
_VALIDATOR_FILES = ("validators.py", "_keywords.py", "_legacy_keywords.py", "_types.py",
                    "_format.py", "_utils.py", "_validators.py", "_legacy_validators.py")


@lru_cache(maxsize=1)
def validator_identity() -> bytes:
    """The installed validators, without importing them (that import is the cost avoided):
    Python's version and the path, size and modification time of the files whose code
    decides pass or fail: ``config_schema.py`` (its quick check passes a valid table without
    jsonschema) and jsonschema's. A reinstall or upgrade changes them, and every key with
    them."""
    parts = [sys.version, _stamp(Path(__file__).with_name("config_schema.py"))]
    spec = find_spec("jsonschema")
    origin = spec.origin if spec is not None else None
    if origin is not None:
        folder = Path(origin).parent
        parts.extend(_stamp(folder / name) for name in _VALIDATOR_FILES)
    return "\n".join(parts).encode("utf-8")


def _stamp(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return f"{path.name}:absent"
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def pass_key(schema_text: str, instance: object) -> str | None:
    """The key of ``instance`` checked against the schema ``schema_text``; None when the
    instance holds a value JSON cannot encode without loss (it is then always checked).

    JSON of a TOML table is exact for everything else: ``1``, ``1.0``, ``true`` and ``"1"``
    stay distinct; keys keep their order (a reordered table is only a miss)."""
    try:
        encoded = json.dumps(instance, allow_nan=False, ensure_ascii=False,
                             default=_refuse, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    digest = hashlib.sha256(_VERSION)
    for part in (validator_identity(), schema_text.encode("utf-8"), encoded.encode("utf-8")):
        # length-prefixed: no two different triples give the same bytes
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _refuse(value: object) -> object:
    raise TypeError(f"{type(value).__name__} has no exact JSON form")


class SchemaPasses:
    """The entries of one folder (None: no cache, every check runs), and the keys that
    passed in this process, to be saved once the cache's folder can be written."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.new: list[str] = []

    def knows(self, key: str | None) -> bool:
        if key is None or self.folder is None:
            return False
        try:
            return (self.folder / key).read_text("ascii") == key
        except (OSError, UnicodeDecodeError):
            return False  # missing, unreadable or corrupt: the check runs

    def passed(self, key: str | None) -> None:
        if key is not None and key not in self.new:
            self.new.append(key)

    def save(self, folder: Path) -> None:
        """Write this process's new entries into ``folder``; a cache that cannot be written
        only costs the next run a check."""
        from pytest_pyramid._files import write_text_atomic

        saved = SchemaPasses(folder)
        try:
            for key in self.new:
                if not saved.knows(key):  # absent or corrupt
                    write_text_atomic(folder / key, key)
            _prune(folder)
        except OSError:
            return


def _prune(folder: Path) -> None:
    entries = [entry for entry in os.scandir(folder)
               if len(entry.name) == 64 and entry.is_file(follow_symlinks=False)]
    if len(entries) <= KEEP:
        return
    entries.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime_ns)
    for entry in entries[:-KEEP]:
        Path(entry.path).unlink(missing_ok=True)
