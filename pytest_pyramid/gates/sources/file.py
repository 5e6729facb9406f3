"""A file in the repository's folder or elsewhere: JSON ``{"value": x, "timestamp": epoch}``
(the timestamp optional: the file's mtime stands in) or a bare number.

The path is the commit's word. In a rollout under the host's ``run_as`` (``spawn`` names the
account: deploy/rollout_metrics.py) it is read with the versions' rights, never the deploy's:
by a host program (``sh``, ``stat``, ``head`` on the host's search path) started as the
account, so the kernel decides what the account may read. A file it may not read (the
deploy's own state, another environment's figures, a secret) is no number (not evaluated),
and its bytes never reach a reason either."""

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


#: the most of the file read
LIMIT = 1_000_000
#: as the account: the file's mtime on the first line, then at most LIMIT bytes of it
_AS_ACCOUNT = f'stat -L -c %.9Y -- "$1" && exec head -c {LIMIT} -- "$1"'


def fetch(metric: Metric, version: str, timeout: float, instance: str = "",
          root: str = "", spawn: Spawn | None = None) -> Raw:
    # a relative path is read in ``root`` (a rollout's release), not the deploying checkout
    path = os.path.join(root, substitute(str(metric.options["path"]), version, instance))
    if spawn is not None and spawn.user is not None:
        return _read_as(path, spawn, timeout)
    try:
        with open(path, "rb") as handle:
            text = handle.read(LIMIT).decode("utf-8")
            mtime = os.fstat(handle.fileno()).st_mtime
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise SourceError(f"{path} could not be read ({why})") from None
    return parse_text(text, mtime)


def _read_as(path: str, spawn: Spawn, timeout: float) -> Raw:
    """The file as the account ``spawn`` names reads it (no supplementary group)."""
    import subprocess

    from pytest_pyramid.run._git import STANDARD_PATH

    try:
        done = subprocess.run(["/bin/sh", "-c", _AS_ACCOUNT, "sh", path], capture_output=True,
                              timeout=timeout, check=False, cwd="/", stdin=subprocess.DEVNULL,
                              env={"PATH": STANDARD_PATH, "LC_ALL": "C"}, user=spawn.user,
                              group=spawn.group, extra_groups=[])
    except subprocess.TimeoutExpired:
        raise SourceError(f"{path} was not read in {timeout:g}s") from None
    except OSError as exc:
        raise SourceError(f"{path} could not be read ({exc.strerror or exc})") from None
    stamp, _, data = done.stdout.partition(b"\n")
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise SourceError(f"{path} could not be read as uid {spawn.user}, the account "
                          f"versions run as ({why[0][:200]})")
    try:
        return parse_text(data.decode("utf-8"), float(stamp))
    except (UnicodeDecodeError, ValueError):
        raise SourceError(f"{path} could not be read (not UTF-8 text)") from None


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
