"""A file in the repository's folder or elsewhere: JSON ``{"value": x, "timestamp": epoch}``
(the timestamp optional: the file's mtime stands in) or a bare number."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from pytest_pyramid.gates.sources import Raw, SourceError, substitute

if TYPE_CHECKING:
    from pytest_pyramid.gates.sources import Metric, Spawn

KIND = "file"
OPTIONS = {
    "path": {"type": "string", "minLength": 1,
             "description": 'the file holding the number (JSON {"value": ...} or a bare number)'},
}


def fetch(metric: Metric, version: str, timeout: float, instance: str = "",
          root: str = "", spawn: Spawn | None = None) -> Raw:  # spawn: nothing is started
    # a relative path is read in ``root`` (a rollout's release), not the deploying checkout
    path = os.path.join(root, substitute(str(metric.options["path"]), version, instance))
    try:
        with open(path, "rb") as handle:
            text = handle.read(1_000_000).decode("utf-8")
            mtime = os.fstat(handle.fileno()).st_mtime
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise SourceError(f"{path} could not be read ({why})") from None
    return parse_text(text, mtime)


def parse_text(text: str, mtime: float) -> Raw:
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise SourceError(f"{text.strip()[:40]!r} is neither JSON nor a number") from None
    if isinstance(data, bool):
        raise SourceError(f"{data!r} is not a number")
    if isinstance(data, (int, float)):
        return Raw(float(data), mtime)
    if not isinstance(data, dict) or "value" not in data:
        raise SourceError('expected a number or {"value": number, "timestamp": epoch}')
    value, stamp = data["value"], data.get("timestamp", mtime)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SourceError(f"value {value!r} is not a number")
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)):
        raise SourceError(f"timestamp {stamp!r} is not epoch seconds")
    try:
        return Raw(float(value), float(stamp))
    except ValueError:
        raise SourceError(f"value {value!r} is not a number") from None
