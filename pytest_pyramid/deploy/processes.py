"""Start, health-check and stop application versions (and track them by pid across restarts)."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# Processes this interpreter started: poll() reaps them, so a dead child is not seen as a zombie.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class Version:
    commit: str
    port: int
    pid: int
    release: str
    log: str
    start_ticks: int | None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def as_dict(self) -> dict[str, object]:
        return {
            "commit": self.commit, "port": self.port, "pid": self.pid, "release": self.release,
            "log": self.log, "start_ticks": self.start_ticks,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Version:
        ticks = data.get("start_ticks")
        return cls(
            commit=str(data["commit"]), port=int(str(data["port"])), pid=int(str(data["pid"])),
            release=str(data.get("release", "")), log=str(data.get("log", "")),
            start_ticks=int(str(ticks)) if ticks is not None else None,
        )


class StartError(Exception):
    """A version that could not be started or never became healthy."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_ticks(pid: int) -> int | None:
    """The kernel's start time of ``pid``: guards against acting on a recycled pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19]) if len(fields) > 19 else None


def _proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def is_alive(pid: int, start_ticks: int | None = None) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = _proc_state(pid)
    if state in ("Z", "X"):
        return False
    return not (start_ticks is not None and _start_ticks(pid) not in (None, start_ticks))


def version_alive(version: Version) -> bool:
    return is_alive(version.pid, version.start_ticks)


def render_command(template: str, **values: object) -> list[str]:
    try:
        return shlex.split(template.format(**values))
    except (KeyError, IndexError, ValueError) as exc:
        raise StartError(f"command template {template!r}: {exc!r}") from exc


def start(
    template: str, *, commit: str, release: Path, log_dir: Path, cwd: Path, port: int | None = None
) -> Version:
    port = port or free_port()
    release.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    argv = render_command(template, port=port, release=release, commit=commit)
    log_path = log_dir / f"{commit[:12]}-{port}.log"
    env = {**os.environ, "PORT": str(port), "PYRAMID_RELEASE": str(release),
           "PYRAMID_COMMIT": commit}
    with log_path.open("ab") as log:
        try:
            # A new session: the version must outlive this deploy process and its terminal.
            child = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            raise StartError(f"cannot start {argv[0]!r}: {exc}") from exc
    _CHILDREN[child.pid] = child
    return Version(commit, port, child.pid, str(release), str(log_path), _start_ticks(child.pid))


def http_ok(url: str, timeout: float = 2.0) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return 200 <= status < 300, f"HTTP {status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return False, str(getattr(exc, "reason", exc))


def wait_healthy(version: Version, path: str, timeout: float) -> float:
    """Seconds until ``path`` answered 2xx; StartError if the process died or time ran out."""
    started = time.monotonic()
    last = "no answer yet"
    while time.monotonic() - started < timeout:
        if not version_alive(version):
            raise StartError(f"{version.addr} exited before it became healthy (log: {version.log})")
        ok, last = http_ok(f"http://{version.addr}{path}", timeout=1.0)
        if ok:
            return time.monotonic() - started
        time.sleep(0.05)
    raise StartError(f"{version.addr}{path} not healthy after {timeout:.0f}s (last: {last})")


def stop(version: Version, timeout: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; only ever the pid we started."""
    if not version_alive(version):
        _CHILDREN.pop(version.pid, None)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(version.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and version_alive(version):
        time.sleep(0.05)
    if version_alive(version):
        with contextlib.suppress(ProcessLookupError):
            os.kill(version.pid, signal.SIGKILL)
        child = _CHILDREN.get(version.pid)
        if child is not None:
            child.wait(timeout=5)
        # Not our child (a later command stopping it): SIGKILL is asynchronous, so wait a little.
        wait_gone(version.pid, version.start_ticks, 2.0)
    _CHILDREN.pop(version.pid, None)


def wait_gone(pid: int, start_ticks: int | None, timeout: float) -> bool:
    """True once ``pid`` (with that start time) is gone, False if it outlived ``timeout``."""
    deadline = time.monotonic() + timeout
    while is_alive(pid, start_ticks):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def start_ticks(pid: int) -> int | None:
    return _start_ticks(pid)


def cmdline(pid: int) -> str:
    """The process's command line, NUL separators as spaces; "" when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def has_open(pid: int, path: Path) -> bool:
    """Whether ``pid`` holds ``path`` open: proof that a pid read from a file is still its owner."""
    target = str(path.resolve())
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(fd) == target:
                return True
    return False
