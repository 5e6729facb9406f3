"""What a parametrized test's node id stands for: a digest of its parameters' values.

A node id names a test only together with its values: ``parametrize("case", {set of
tuples})`` gives positional ids (``case0``..``case3``) in an order that follows each
process's hash seed, so two xdist workers, or two CI shards, can mean other values by one
id and a failing value runs nowhere (hostile case 400). Every collecting process records,
per parametrized test, a digest of a stable text of its values; the processes that
collected one id must agree on it (``run/collection.py``: the xdist controller's facts,
the shards' selection). A value whose text is an address (``<Foo object at 0x..>``) has
no stable text: it is "unreproducible", never guessed equal. Pure logic: no pytest import.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

#: the digest recorded for a test whose values have no stable text
UNREPRODUCIBLE = "unreproducible"
#: an object's default repr carries its address: another process, another text
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")
#: how deep a container is walked before its repr is taken as it is
_DEPTH = 8


def stable_text(value: object, depth: int = 0) -> str | None:
    """A text of ``value`` every process gives alike, or None when there is none.

    Functions and classes are named (their id names them too); sets are sorted (their
    repr follows the hash seed); containers are walked; anything else is its ``repr``,
    refused when that carries an address."""
    if depth < _DEPTH:
        walked = _walked(value, depth + 1)
        if walked is not _NOT_WALKED:
            return walked if isinstance(walked, str) else None
    if callable(value) and hasattr(value, "__qualname__") and hasattr(value, "__module__"):
        return f"<{type(value).__name__} {value.__module__}.{value.__qualname__}>"
    try:
        text = repr(value)
    except Exception:  # a repr that fails has no text to compare
        return None
    return None if _ADDRESS.search(text) else text


_NOT_WALKED = object()


def _walked(value: object, depth: int) -> object:
    """The stable text of a container (None when an element has none), or
    :data:`_NOT_WALKED` for anything that is not one."""
    if isinstance(value, (tuple, list)):
        parts = [stable_text(v, depth) for v in value]
        return _joined(type(value).__name__, parts)
    if isinstance(value, (set, frozenset)):
        texts = [stable_text(v, depth) for v in value]
        known = sorted(t for t in texts if t is not None)
        return _joined(type(value).__name__, [*known] if len(known) == len(texts) else [None])
    if isinstance(value, dict):
        items = [(stable_text(k, depth), stable_text(v, depth)) for k, v in value.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return _joined("dict", [f"{k}: {v}" for k, v in items])
    return _NOT_WALKED


def _joined(kind: str, parts: list[str | None]) -> str | None:
    if any(part is None for part in parts):
        return None
    return f"{kind}({', '.join(part for part in parts if part is not None)})"


def values_digest(params: Mapping[str, object]) -> str:
    """The digest of one test's parameters (name -> value), or :data:`UNREPRODUCIBLE`."""
    digest = hashlib.sha256()
    for name in sorted(params):
        text = stable_text(params[name])
        if text is None:
            return UNREPRODUCIBLE
        digest.update(f"{name}={text}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def selection_values_digest(digests: Iterable[tuple[str, str]]) -> str:
    """One digest of (node id, values digest) pairs, in node id order: what a CI shard
    records of the whole selection, so shards that meant other values by one id differ."""
    digest = hashlib.sha256()
    for nodeid, values in sorted(digests):
        digest.update(f"{nodeid}\0{values}\n".encode("utf-8", "surrogateescape"))
    return "sha256:" + digest.hexdigest()
