"""Which live recording run started this process, from facts of the host, not of a variable.

A recording run writes :data:`RUN_FILE` into its spool folder (made ``0700`` by ``mkdtemp``)
before any child starts: its pid, its process start time (``/proc/<pid>/stat`` field 22, in
clock ticks since boot: a pid with that start time is that process and no later one) and the
scope its followed children record for (the project's top-level ``packages``, the folder
their facts are relative to, ...). The closed world's variable only names the folder.

Two readers, two directions of safety:

- :func:`live_run` (``run/invocation.py: started_by_run``) excuses pytest's and xdist's own
  variables in a nested run: a pass, so it needs the host's word. The folder and its file
  belong to this process's user and no one else may write there, and the process the file
  names, with its start time, is this process or one of its ancestors (the ``ppid`` chain
  of ``/proc``). A folder made by hand with ``mkdir``, a run that ended, a run that is not
  an ancestor (another job's, a sibling's): none. Without ``/proc`` (not Linux) no run is
  live: a top-level run, judged strictly.
- :func:`read_run_file` (``run/imported.py: follow_child``) gives a followed child its scope
  from the file the run wrote, so a value edited on the way (``packages: []`` by a shell
  script) cannot shrink what the child records. Following needs no ancestry: recording more
  is never a pass, and a child recording for a folder no run absorbs is named by the run
  that started it (``run/unfollowed.py``: another value than the run's).

No pytest import: it reads ``/proc`` and the spool folder; once per process start.
"""

from __future__ import annotations

import json
import os
import stat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

#: the run's own file in its spool folder (children spool to ``<pid>.jsonl`` files beside it)
RUN_FILE = "run.json"
#: the deepest ``ppid`` chain walked (a loop in a forged reader, or a very deep tree, ends)
MAX_DEPTH = 512


def stat_fields(text: str) -> tuple[int, int] | None:
    """``(ppid, start time)`` from ``/proc/<pid>/stat``'s text. The command name (field 2)
    may hold spaces and parentheses, so fields are counted after its last ``)``: field 4 is
    the parent's pid, field 22 the start time."""
    _, closing, rest = text.rpartition(")")
    fields = rest.split()
    if not closing or len(fields) < 20:
        return None
    try:
        return int(fields[1]), int(fields[19])
    except ValueError:
        return None


def read_stat(pid: int) -> str | None:
    """``/proc/<pid>/stat``, or None (no such process, or no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as source:
            return source.read()
    except OSError:
        return None


def process_start(pid: int, read: Callable[[int], str | None] = read_stat) -> int | None:
    """A process's start time (clock ticks since boot), None when not known."""
    text = read(pid)
    fields = stat_fields(text) if text is not None else None
    return fields[1] if fields is not None else None


def is_ancestor(pid: int, start: int, me: int,
                read: Callable[[int], str | None] = read_stat) -> bool:
    """Whether process ``pid`` started at ``start`` is ``me`` or one of its ancestors (an
    in-process nested run is its own: pytester's ``runpytest``). The chain is read from
    ``me`` upwards; a gap in it (no ``/proc``, a process gone) is not an ancestor."""
    current = me
    for _ in range(MAX_DEPTH):
        text = read(current)
        fields = stat_fields(text) if text is not None else None
        if fields is None:
            return False
        parent, started = fields
        if current == pid:
            return started == start
        if parent <= 0 or parent == current:
            return False
        current = parent
    return False


def write_run_file(spool: str, scope: Mapping[str, Any]) -> None:
    """The run's file in its own spool folder: this process and ``scope`` (what its
    children record for). Replaced whole (a child reads the old file or the new one)."""
    pid = os.getpid()
    record = {**scope, "pid": pid, "start": process_start(pid)}
    temporary = os.path.join(spool, f".{RUN_FILE}.{pid}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                         0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(record, out)
    os.replace(temporary, os.path.join(spool, RUN_FILE))


def _private(info: os.stat_result, kind: int, uid: int) -> bool:
    """Of this user, of the kind expected, and writable by no one else."""
    return (stat.S_IFMT(info.st_mode) == kind and info.st_uid == uid
            and not info.st_mode & 0o022)


def read_run_file(spool: str, uid: int | None = None) -> dict[str, Any] | None:
    """What the run that owns ``spool`` wrote there (:func:`write_run_file`), or None: no
    such file, not this user's, writable by another user, a symlink, or not a JSON object."""
    uid = os.geteuid() if uid is None else uid
    path = os.path.join(spool, RUN_FILE)
    try:
        if not (_private(os.lstat(spool), stat.S_IFDIR, uid)
                and _private(os.lstat(path), stat.S_IFREG, uid)):
            return None
        with open(path, encoding="utf-8") as source:
            record = json.load(source)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def live_run(spool: str, me: int | None = None,
             read: Callable[[int], str | None] = read_stat) -> dict[str, Any] | None:
    """The run file of ``spool`` when the run it names is alive and this process's own
    ancestor (or this process): the host's word that this process was started by it."""
    record = read_run_file(spool)
    if record is None:
        return None
    pid, start = record.get("pid"), record.get("start")
    if type(pid) is not int or type(start) is not int:  # not a bool, not a float
        return None
    return record if is_ancestor(pid, start, os.getpid() if me is None else me, read) else None
