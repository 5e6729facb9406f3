"""The supervisor: the process that owns a rollout, and the lease that says it is alive.

A rollout is desired state (``state.json``, the history row, the job's configuration) plus a
process that reconciles it, as Argo Rollouts' controller does. ``pyramid deploy`` gates the
verdict, writes a *job* and starts a supervisor detached from the terminal (its own session,
stdio to a log file in the work folder); the command only follows the job's log, so killing it
(or Ctrl-C, which detaches) changes nothing for the rollout. ``pyramid supervise`` runs the
same supervisor in the foreground for systemd (``examples/pyramid-supervisor.service``).

**The lease.** Whoever holds the deploy lock heartbeats ``supervisor.lease``: its pid, kernel
start time, boot id and a CLOCK_MONOTONIC timestamp (system-wide on Linux, so comparable
between processes and immune to wall-clock steps). The heartbeat is a thread: a process frozen
by SIGSTOP, or dead, stops beating. A lease older than ``lease_timeout`` is stale: ``status``
says the rollout is *unwatched*; ``abort``/``rollback`` take the lease (the stale holder, proven
to be ours by its start time and its open lock file, is SIGKILLed so it can never wake up and
act on traffic it no longer owns) and act themselves. The file is rewritten in place with a
fixed size, so a full disk does not stop the heartbeat.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pytest_pyramid.deploy import processes

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from pytest_pyramid.deploy.config import DeployConfig

LEASE = "supervisor.lease"
#: the post-bake watch: its own lease and lock (it never holds the deploy lock while it only
#: watches, so a deploy, a rollback or a stop is never refused because of it)
WATCH_LEASE = "watch.lease"
WATCH_LOCK = "watch.lock"
WATCH_STATUS = "watch.json"
BEAT_S = 0.2
_LEASE_SIZE = 512  # fixed: the file is rewritten in place, never grown


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def lease_path(work_dir: Path) -> Path:
    return work_dir / LEASE


def jobs_dir(work_dir: Path) -> Path:
    return work_dir / "supervisor"


# -- the lease ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lease:
    pid: int
    start_ticks: int | None
    boot_id: str
    beat: float  # time.monotonic() of the last heartbeat
    role: str
    released: bool

    def age(self) -> float | None:
        """Seconds since the last beat; None when it cannot be compared (another boot)."""
        if self.boot_id != _boot_id():
            return None
        return max(0.0, time.monotonic() - self.beat)

    def holder_alive(self) -> bool:
        return processes.is_alive(self.pid, self.start_ticks)


def read_lease(work_dir: Path, name: str = LEASE) -> Lease | None:
    for _ in range(3):  # a read racing an in-place write sees a torn line: read again
        try:
            text = (work_dir / name).read_text("utf-8").strip("\0 \n")
        except OSError:
            return None
        try:
            data = json.loads(text)
            return Lease(int(data["pid"]), data.get("start_ticks"), str(data.get("boot_id", "")),
                         float(data["beat"]), str(data.get("role", "")),
                         bool(data.get("released", False)))
        except (ValueError, KeyError, TypeError):
            time.sleep(0.01)
    return None


class Heartbeat:
    """Beats the lease from a thread while the deploy lock is held."""

    def __init__(self, work_dir: Path, role: str, name: str = LEASE) -> None:
        self.path = work_dir / name
        self.role = role
        self.pid = os.getpid()
        self.ticks = processes.start_ticks(self.pid)
        self.boot = _boot_id()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pyramid-heartbeat", daemon=True)
        self._fd: int | None = None

    def _write(self, *, released: bool = False) -> None:
        record = json.dumps({"pid": self.pid, "start_ticks": self.ticks, "boot_id": self.boot,
                             "beat": time.monotonic(), "role": self.role,
                             "released": released})
        data = record.encode().ljust(_LEASE_SIZE, b" ")[:_LEASE_SIZE]
        with contextlib.suppress(OSError):  # a full disk: the blocks exist already
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            os.pwrite(self._fd, data, 0)

    def _run(self) -> None:
        while not self._stop.wait(BEAT_S):
            self._write()

    def __enter__(self) -> Heartbeat:
        self._write()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._write(released=True)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)


@dataclass(frozen=True)
class Watcher:
    """Who watches the work folder, as far as the lease and the lock tell."""

    lease: Lease | None
    lock_held: bool
    fresh: bool  # the lock is held and its holder beats within the timeout
    why: str  # for a person: who watches, or why nobody does


def watcher(work_dir: Path, timeout: float) -> Watcher:
    from pytest_pyramid.deploy.state import lock_free

    held = not lock_free(work_dir)
    lease = read_lease(work_dir)
    if not held:
        gone = f"supervisor pid {lease.pid} is gone" if lease and not lease.released else \
            "no supervisor runs"
        return Watcher(lease, False, False, gone)
    if lease is None or lease.released:
        # a holder that has not written its first beat yet (or an older version of this tool)
        return Watcher(lease, True, True, "held by a process that has not beaten yet")
    age = lease.age()
    if not lease.holder_alive():
        return Watcher(lease, True, False, f"supervisor pid {lease.pid} is gone")
    if age is None or age > timeout:
        shown = "from another boot" if age is None else f"{age:.1f}s old"
        return Watcher(lease, True, False, f"supervisor pid {lease.pid} does not answer: its "
                                           f"heartbeat is {shown} (frozen or hung)")
    return Watcher(lease, True, True, f"supervisor pid {lease.pid} ({lease.role}), heartbeat "
                                      f"{age:.1f}s old")


def take_over(work_dir: Path, timeout: float, out: Callable[[str], None]) -> bool:
    """Take the lease from a holder that does not answer: SIGKILL it (only when it provably is
    the process that holds this folder's lock, by start time and open lock file) and wait for
    the kernel to release the lock. False when the holder answers or cannot be proven ours."""
    seen = watcher(work_dir, timeout)
    if not seen.lock_held:
        return True
    if seen.fresh or seen.lease is None:
        return False
    lease = seen.lease
    lock = work_dir / "deploy.lock"
    if not (lease.holder_alive() and processes.has_open(lease.pid, lock)):
        out(f"[lease] the lock holder cannot be proven to be supervisor pid {lease.pid}; it is "
            "not signalled")
        return False
    out(f"[lease] {seen.why}: taking the lease (SIGKILL to pid {lease.pid})")
    with contextlib.suppress(ProcessLookupError):
        os.kill(lease.pid, signal.SIGKILL)
    processes.wait_gone(lease.pid, lease.start_ticks, 10.0)
    deadline = time.monotonic() + 10.0
    from pytest_pyramid.deploy.state import lock_free

    while not lock_free(work_dir):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def live_watch(work_dir: Path, timeout: float) -> Lease | None:
    """The watch's lease while its holder is alive and beats within ``timeout``: the only
    proof that anything judges the serving release (a watch that has not written its first
    beat, or that stopped beating, judges nothing)."""
    lease = read_lease(work_dir, WATCH_LEASE)
    if lease is None or lease.released or not lease.holder_alive():
        return None
    age = lease.age()
    return lease if age is not None and age <= timeout else None


def take_watch(work_dir: Path, timeout: float, out: Callable[[str], None]) -> bool:
    """Take the watch's lease from a holder that does not answer, as :func:`take_over` does
    for the supervisor's: a live holder whose heartbeat is older than ``timeout`` and that
    provably is the watch (its start time, ``watch.lock`` open) is SIGKILLed, so a frozen watch
    never wakes up to act on a release another watch now judges. True when it was taken."""
    lease = read_lease(work_dir, WATCH_LEASE)
    if lease is None or lease.released or not lease.holder_alive():
        return False  # nobody to take it from (a new holder may not have beaten yet)
    age = lease.age()
    if age is not None and age <= timeout:
        return False  # it answers
    if not processes.has_open(lease.pid, work_dir / WATCH_LOCK):
        out(f"[watch] the watch lease names pid {lease.pid}, which does not hold {WATCH_LOCK}: "
            "it is not signalled")
        return False
    shown = "from another boot" if age is None else f"{age:.1f}s old"
    out(f"[watch] pid {lease.pid} does not answer (its heartbeat is {shown}, frozen or hung): "
        f"taking its lease (SIGKILL)")
    try:
        os.kill(lease.pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    except PermissionError:  # another account's: said, and one that may signal it takes it
        out(f"[watch] pid {lease.pid} cannot be signalled by this account")
        return False
    return processes.wait_gone(lease.pid, lease.start_ticks, 10.0)


# -- the configuration a job carries -------------------------------------------------------
_PATHS = ("root", "verdict", "deployer_key", "work_dir", "history", "nginx_include", "access_log",
          "requires_history")


def config_to_json(config: DeployConfig) -> dict[str, object]:
    data: dict[str, object] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name in ("approvers", "deployers"):
            value = [{"name": p.name, "keys": list(p.keys), "roles": list(p.roles)}
                     for p in value]
        elif f.name == "verify" and value is not None:
            value = {"tier": value.tier, "when": list(value.when), "timeout": value.timeout,
                     "project": value.project}
        elif isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        data[f.name] = value
    return data


def config_from_json(data: Mapping[str, object]) -> DeployConfig:
    from pytest_pyramid.deploy.config import DeployConfig, Person, VerifySettings

    values: dict[str, object] = {}
    for f in fields(DeployConfig):
        value = data.get(f.name) if f.name == "verify" else data[f.name]
        if f.name == "verify" and isinstance(value, dict):
            value = VerifySettings(str(value["tier"]), tuple(value["when"]),
                                   float(value["timeout"]), str(value.get("project", ".")))
        elif f.name in ("approvers", "deployers"):
            value = tuple(Person(str(p["name"]), tuple(p["keys"]), tuple(p["roles"]))
                          for p in cast("list[dict[str, list[str]]]", value))
        elif f.name in _PATHS:
            value = None if value is None else Path(str(value))
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return DeployConfig(**values)  # type: ignore[arg-type]


# -- jobs: what a supervisor is asked to do ------------------------------------------------
@dataclass(frozen=True)
class Job:
    """``kind`` "deploy" (commit, commit_time, redeploy) or "resume"."""

    id: str
    kind: str
    config: DeployConfig
    log: Path
    result: Path
    commit: str = ""
    commit_time: str | None = None
    redeploy: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "config": config_to_json(self.config),
                "log": str(self.log), "result": str(self.result), "commit": self.commit,
                "commit_time": self.commit_time, "redeploy": self.redeploy}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Job:
        config = data["config"]
        assert isinstance(config, dict)
        commit_time = data.get("commit_time")
        return cls(str(data["id"]), str(data["kind"]), config_from_json(config),
                   Path(str(data["log"])), Path(str(data["result"])), str(data.get("commit", "")),
                   None if commit_time is None else str(commit_time),
                   bool(data.get("redeploy", False)))


def new_job(config: DeployConfig, kind: str, **extra: object) -> Job:
    ident = f"{time.strftime('%Y%m%dT%H%M%S')}-{kind}-{uuid.uuid4().hex[:8]}"
    folder = jobs_dir(config.work_dir)
    return Job(ident, kind, config, folder / f"{ident}.log", folder / f"{ident}.result.json",
               **extra)  # type: ignore[arg-type]


def _job_file(job: Job) -> Path:
    return jobs_dir(job.config.work_dir) / f"{job.id}.job.json"


def spawn(job: Job) -> subprocess.Popen[bytes]:
    """Start a supervisor for ``job``, detached: its own session, no terminal, stdio to a file."""
    from pytest_pyramid._files import write_json_atomic

    folder = jobs_dir(job.config.work_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = _job_file(job)
    write_json_atomic(path, job.as_dict())
    job.log.touch()
    with (folder / "supervisor.out").open("ab") as stdio:
        child = subprocess.Popen(
            [*_same_host(), "supervise", "--job", str(path)],
            stdin=subprocess.DEVNULL, stdout=stdio, stderr=stdio, start_new_session=True,
            cwd=job.config.root, close_fds=True)
    return child


#: the supervisor of a process whose host folders were set in code (host_pins.HOST_ROOTS: the
#: tests' launcher) reads the same ones: argv[1:n] are the folders, the CLI's after "--"
_SAME_HOST = ("import sys; from pathlib import Path; from pytest_pyramid.deploy import "
              "host_pins; n = sys.argv.index('--'); host_pins.HOST_ROOTS = tuple(Path(p) for p "
              "in sys.argv[1:n]); from pytest_pyramid.cli import main; "
              "sys.exit(main(sys.argv[n + 1:]))")


def _same_host() -> list[str]:
    """The command starting a supervisor that reads the host this process reads (its
    ``run_as`` above all: deploy/host_pins.py), never one its environment could name; isolated
    (``-I``: deploy/isolation.py), so a ``PYTHONPATH`` of the caller's runs nothing in it."""
    from pytest_pyramid.deploy import host_pins
    from pytest_pyramid.deploy.isolation import ISOLATED

    if host_pins.HOST_ROOTS is None:
        return [sys.executable, ISOLATED, "-m", "pytest_pyramid.deploy"]
    return [sys.executable, ISOLATED, "-c", _SAME_HOST, *map(str, host_pins.HOST_ROOTS), "--"]


def job_output(job: Job) -> Callable[[str], None]:
    """Progress lines of a job: appended to its log (the command follows it) and flushed."""

    def out(line: str) -> None:
        with contextlib.suppress(OSError), job.log.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    return out


def write_result(job: Job, code: int) -> None:
    from pytest_pyramid._files import write_json_atomic

    try:
        write_json_atomic(job.result, {"exit_code": code})
    except OSError:  # a full disk: the log line still carries it
        job_output(job)(f"[supervisor] exit {code}")


def read_result(job: Job) -> int | None:
    try:
        data = json.loads(job.result.read_text("utf-8"))
        return int(data["exit_code"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def follow(job: Job, child: subprocess.Popen[bytes] | None, out: Callable[[str], None]) -> int:
    """Print the job's log as it grows until it has a result; the job's exit code.

    Ctrl-C detaches: the rollout goes on under its supervisor (exit 2, in progress)."""
    offset = 0
    finished_at: float | None = None

    def drain() -> None:
        nonlocal offset
        try:
            with job.log.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        for line in data[:end].decode("utf-8", "replace").splitlines():
            if line.startswith("[supervisor] exit "):
                continue
            out(line)
        offset += end

    try:
        while True:
            drain()
            code = read_result(job)
            if code is not None:
                drain()
                return code
            gone = child.poll() is not None if child is not None else False
            if gone:
                finished_at = finished_at or time.monotonic()
                if time.monotonic() - finished_at > 1.0:  # a last result write may lag
                    drain()
                    stdio = jobs_dir(job.config.work_dir) / "supervisor.out"
                    out(f"[deploy] the supervisor (pid {child.pid if child else '?'}) ended "
                        f"(exit status {child.returncode if child else '?'}) without a "
                        f"result; see {stdio} and `pyramid status`")
                    with contextlib.suppress(OSError):
                        for line in stdio.read_text("utf-8", "replace").splitlines()[-5:]:
                            out(f"[supervisor] {line}")
                    return 1
            time.sleep(0.05)
    except KeyboardInterrupt:
        out("[deploy] detached: the rollout goes on under its supervisor"
            + (f" (pid {child.pid})" if child else "")
            + f"; `pyramid status` follows it, its log is {job.log}")
        return 2


@contextlib.contextmanager
def ignoring_sighup() -> Iterator[None]:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)


# -- the post-bake watch's findings -------------------------------------------------------
def write_watch_status(work_dir: Path, **record: object) -> None:
    from pytest_pyramid._files import write_json_atomic

    with contextlib.suppress(OSError):  # a full disk: the log line still says it
        write_json_atomic(work_dir / WATCH_STATUS, record)


def read_watch_status(work_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((work_dir / WATCH_STATUS).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stop_watch(work_dir: Path, timeout: float) -> str | None:
    """End the post-bake watch (``pyramid stop``): only a process that provably is it (start
    time, and the watch lock held open)."""
    lease = read_lease(work_dir, WATCH_LEASE)
    if lease is None or lease.released or not lease.holder_alive() or \
            not processes.has_open(lease.pid, work_dir / WATCH_LOCK):
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(lease.pid, signal.SIGKILL)
    processes.wait_gone(lease.pid, lease.start_ticks, timeout)
    return f"watch (pid {lease.pid}) stopped"
