"""Every server (and every database on a server we did not start) is recorded under the run's
work folder, ``.pyramid/services/``, before it can outlive its owner; the next run reaps
what a killed run (``kill -9``) left.

A record names its owner (the pytest process, by pid *and* start time, so a reused pid is
not mistaken for it) and what to remove: a process (pid, start time and a string its command
line must hold, so a stranger's process is never signalled), a folder, databases by name
prefix on a URL's server. A record whose owner is alive belongs to a run still going (another
worker, a second run in the same project) and is left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

#: the records' folder, under the rootdir's ``.pyramid``
RECORDS_DIR = Path(".pyramid", "services")


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/PID/stat`` field 22), or
    None when there is no such process. Together with the pid it names one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after it
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def alive(pid: int, start: str | None) -> bool:
    """Whether the process ``pid`` that started at ``start`` is still the one running (a
    zombie is not: a SIGKILLed xdist worker whose controller died too waits, unreaped, for
    an init that may never collect it)."""
    return start is not None and process_start(pid) == start and not _zombie(pid)


def owner_entry() -> dict[str, Any]:
    pid = os.getpid()
    return {"owner_pid": pid, "owner_start": process_start(pid)}


def write_record(folder: Path, name: str, record: dict[str, Any]) -> Path:
    """Write ``record`` (owner added) as ``folder/name.json``, atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    temporary = path.with_suffix(".tmp")
    # owner-only: a URL's record holds its password
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(json.dumps({**owner_entry(), **record}, sort_keys=True))
    os.replace(temporary, path)
    return path


def forget(path: Path) -> None:
    path.unlink(missing_ok=True)


def stop_process(pid: int, start: str | None, marker: str, *, grace_s: float = 30.0) -> bool:
    """Stop the process if it is still the recorded one (pid, start time, ``marker`` in its
    command line): SIGTERM, then SIGKILL after ``grace_s``. Returns whether it was running."""
    if not alive(pid, start) or marker not in command_line(pid):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace_s
    while alive(pid, start) and time.monotonic() < deadline:
        if _zombie(pid):
            break
        time.sleep(0.05)
    if alive(pid, start) and not _zombie(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def reap(folder: Path, drop_databases: Callable[[str, str], int]) -> list[str]:
    """Remove what dead owners left: their server processes, folders and databases (on a
    URL's server, by ``drop_databases(url, prefix)`` -> how many were dropped). Returns a line
    per thing removed; a record is deleted once everything it names is gone."""
    done: list[str] = []
    if not folder.is_dir():
        return done
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # a record being written by a live owner, or garbage: not ours to judge
        if not isinstance(record, dict) or alive(int(record.get("owner_pid", 0)),
                                                  record.get("owner_start")):
            continue
        lines, complete = _reap_one(record, drop_databases)
        done.extend(lines)
        if complete:
            forget(path)
    return done


def _reap_one(
    record: dict[str, Any], drop_databases: Callable[[str, str], int]
) -> tuple[list[str], bool]:
    done = []
    pid = record.get("pid")
    if isinstance(pid, int) and stop_process(pid, record.get("start"), str(record["marker"])):
        done.append(f"{record.get('kind')} server pid {pid} (port {record.get('port')})")
    folder = record.get("folder")
    if folder and Path(folder).exists():
        shutil.rmtree(folder, ignore_errors=True)
        done.append(f"folder {folder}")
    url, prefix = record.get("url"), record.get("prefix")
    if url and prefix:
        try:
            dropped = drop_databases(str(url), str(prefix))
        except Exception as exc:  # the server is gone or refuses: said, the record kept
            done.append(f"databases {prefix}* not dropped: {exc}")
            return done, False
        if dropped:
            done.append(f"{dropped} database(s) {prefix}*")
    return done, True
