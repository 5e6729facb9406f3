"""Whether the analysis can see: the router's access log, read window by window, and every way
that reading can go blind.

A window of the access log is evidence only when it holds every request the router answered in
it. It does not when the log cannot be read (removed, renamed away, unreadable), when it was
rotated or truncated (the requests logged before are gone, and nginx may still write to the old
file), when the router logs nothing while clients are being answered (the edge's log grows, the
split's does not: a log nginx no longer writes), or when the work folder's disk is full (nginx
cannot append). Such a window is *blind*: its failures still count (the errors seen are real),
but nothing else in it may count as a pass, and the rollout pauses at its weight for at most
``blind_timeout`` (rollout.py). One reader for every route that judges traffic: the rollout's
steps and bake, the first step, a rollback target, the post-bake watch; and one parse of what
it read (:meth:`Reading.window`), which counts no success on the health path as a user served
(hostile case 372: a monitor's ``/healthz`` polls are not user traffic) and every other request
as a user's, whatever its path (hostile case 420: ``smoke_paths`` are the commit's word).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.deploy import analysis

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.routers.base import Router

#: edge lines in a window with not one split line: the split no longer logs what it routes
#: (a few, not one: an edge line can land a moment before the window's split line is read)
SILENT_ROUTER_LINES = 3
#: under this much free space nginx cannot be trusted to append its lines
FREE_BYTES_NEEDED = 64 * 1024


def disk_full(folder: Path) -> bool:
    """Too little space left for nginx to append access-log lines."""
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < FREE_BYTES_NEEDED


def read_log(path: Path | None, offset: int) -> tuple[list[str], int]:
    """Complete lines appended since ``offset``; raises OSError when the log cannot be read."""
    if path is None:
        raise OSError("the router has no access log to analyse")
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n") + 1
    return data[:end].decode("utf-8", "replace").splitlines(), offset + end


def log_size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path is not None else 0
    except OSError:
        return 0


@dataclass(frozen=True)
class Reading:
    """The complete lines of one window, and why they cannot be trusted to be all (None: they
    can)."""

    lines: list[str]
    blind: str | None
    #: the health path (analysis.probe_paths): a success there is no user served
    probes: frozenset[str] = frozenset()
    #: the router's error-log lines of the same stretch (answers cut short)
    error_lines: tuple[str, ...] = ()

    def window(self) -> analysis.LogWindow:
        """The window's figures (health reports not counted as users served), the answers
        cut short charged."""
        return analysis.parse_lines(self.lines, self.probes, analysis.cut_short(self.error_lines))


class _File:
    """A position in one log file, and which file (its inode) the position is in."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.offset: int = 0
        self.inode: int | None = None
        self.pending: tuple[int, int | None] | None = None
        self.to_end()

    def _stat(self) -> os.stat_result | None:
        try:
            return os.stat(self.path) if self.path is not None else None
        except OSError:
            return None

    def to_end(self) -> None:
        stat = self._stat()
        self.offset, self.inode = (stat.st_size, stat.st_ino) if stat else (0, None)
        self.pending = None

    def read(self) -> tuple[list[str], str | None]:
        """(lines since the position, why this file's window is blind)."""
        self.pending = None
        if self.path is None:
            return [], "the router has no access log to analyse"
        stat = self._stat()
        if stat is None:
            return [], f"the access log {self.path} is missing (removed or renamed away)"
        rotated = (self.inode is not None and stat.st_ino != self.inode) or \
            stat.st_size < self.offset
        if rotated:  # a new file: its lines are new, the old file's unread tail is lost
            self.offset, self.inode = 0, stat.st_ino
        try:
            lines, end = read_log(self.path, self.offset)
        except OSError as exc:
            return [], f"cannot read the access log {self.path}: {exc.strerror or exc}"
        self.pending = (end, stat.st_ino)
        if rotated:
            return lines, (f"the access log {self.path} was rotated or truncated: requests "
                           "logged before that are not seen")
        return lines, None

    def commit(self) -> None:
        if self.pending is not None:
            self.offset, self.inode = self.pending
            self.pending = None


class LogCursor:
    """Reads the split's log (what each version served) beside the edge's (what clients were
    answered), from where the last conclusive window ended."""

    def __init__(self, log: Path | None, client_log: Path | None, work_dir: Path,
                 at: tuple[int, int | None] | None = None, *, probes: frozenset[str],
                 error_log: Path | None = None) -> None:
        """From the logs' ends, or for the split's log from ``at`` (offset, inode: a resumed
        window; a file that is no longer that one is read as rotated)."""
        self._log = _File(log)
        self._client = _File(client_log)
        self._errors = _File(error_log)
        self.work_dir = work_dir
        self.probes = probes
        if at is not None:
            self._log.offset, self._log.inode = at

    @classmethod
    def of(cls, router: Router, config: DeployConfig,
           at: tuple[int, int | None] | None = None) -> LogCursor:
        """The cursor every judging route reads ``router``'s logs with: a success on the
        health path is no user served; every other request is a user's, whatever its path."""
        return cls(router.log_path, router.client_log_path, config.work_dir, at,
                   probes=analysis.probe_paths(config.health_path),
                   error_log=router.error_log_path)

    def position(self) -> tuple[int, int | None]:
        """Where the current window of the split's log begins (durable: rollout progress)."""
        return self._log.offset, self._log.inode

    def read(self) -> Reading:
        lines, blind = self._log.read()
        client_lines, _ = self._client.read()  # unreadable: the comparison is just not made
        # read after the access log: a cut answer's error line is written before its access
        # line, so every access line read has its error line here (an unreadable error log
        # leaves only the Content-Length rule: cut chunked answers are then not seen)
        error_lines, _ = self._errors.read()
        if blind is None and not lines and len(client_lines) >= SILENT_ROUTER_LINES:
            blind = (f"the router logged no request while its edge answered "
                     f"{len(client_lines)}: {self._log.path} is not written any more")
        if blind is None and disk_full(self.work_dir):
            blind = (f"the work folder's disk is full: the router cannot append to "
                     f"{self._log.path}")
        return Reading(lines, blind, self.probes, tuple(error_lines))

    def commit(self) -> None:
        """Move past the last window (an inconclusive one is not committed: it grows)."""
        self._log.commit()
        self._client.commit()
        self._errors.commit()

    def to_end(self) -> None:
        """Start afresh at the logs' ends (sight came back: the blind stretch is not judged)."""
        self._log.to_end()
        self._client.to_end()
        self._errors.to_end()


#: stable's answers per path over a rollout's compared windows, for the release they judged:
#: the 100% step, the bake, a resumed supervisor and the post-bake watch judge that release's
#: paths against them, where no stable share is measured (hostile case 464)
CARRIED_FILE = "path-shares.json"


def save_carried(work_dir: Path, release: str, rows: analysis.PathTable) -> None:
    """Best effort: without the file only the absolute rule judges where no stable serves."""
    with contextlib.suppress(OSError):
        write_json_atomic(work_dir / CARRIED_FILE,
                          {"release": release, "rows": analysis.rows_as_dict(rows)})


def load_carried(work_dir: Path, release: str) -> analysis.PathTable | None:
    """The rows saved for ``release`` (a commit); None when there are none for it, or the file
    is unreadable or malformed (never a row made up)."""
    try:
        data = json.loads((work_dir / CARRIED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("release") != release:
        return None
    return analysis.rows_from_dict(data.get("rows"))
