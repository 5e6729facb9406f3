"""Start, health-check and stop application versions, and know which processes are ours.

Every version is written to the process registry (``<work_dir>/registry``) the moment it is
spawned, before its health check: a deploy killed at any point leaves a record that
``pyramid stop`` and the state rebuild can find. A pid is only ever signalled together with
the kernel start time recorded for it, so a recycled pid is never mistaken for ours.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shlex
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from pytest_pyramid.deploy.host_pins import Account

# Processes this interpreter started: poll() reaps them, so a dead child is not seen as a zombie.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class Version:
    """One running (or once running) copy of a release."""

    commit: str
    port: int
    pid: int
    release: str
    log: str
    start_ticks: int | None
    #: the start template it was started with, so it can be started again from its release
    command: str = ""
    started_at: str = ""
    #: the history row of the deployment that started it (None: unknown)
    deployment_id: int | None = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def as_dict(self) -> dict[str, object]:
        return {
            "commit": self.commit, "port": self.port, "pid": self.pid, "release": self.release,
            "log": self.log, "start_ticks": self.start_ticks, "command": self.command,
            "started_at": self.started_at, "deployment_id": self.deployment_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Version:
        """Raises ValueError naming the field for a record of the wrong shape."""
        def need(name: str, kind: type, optional: bool = False) -> object:
            value = data.get(name)
            if value is None and optional:
                return None
            if isinstance(value, bool) or not isinstance(value, kind):
                raise ValueError(f"{name} = {value!r} is not a {kind.__name__}")
            return value

        commit = str(need("commit", str))
        port, pid = need("port", int), need("pid", int)
        assert isinstance(port, int)
        assert isinstance(pid, int)
        if not 0 < port < 65536 or pid <= 0 or len(commit) < 7:
            raise ValueError(f"commit {commit!r}, port {port} or pid {pid} is impossible")
        ticks, deployment = need("start_ticks", int, True), need("deployment_id", int, True)
        return cls(
            commit=commit, port=port, pid=pid, release=str(need("release", str)),
            log=str(data.get("log") or ""), start_ticks=ticks if isinstance(ticks, int) else None,
            command=str(data.get("command") or ""), started_at=str(data.get("started_at") or ""),
            deployment_id=deployment if isinstance(deployment, int) else None,
        )


class StartError(PyramidError):
    """A version that could not be started or never became healthy."""


def track(child: subprocess.Popen[bytes]) -> None:
    """Let :func:`is_alive` reap ``child`` (a process this interpreter started) when it dies."""
    _CHILDREN[child.pid] = child


#: where ports for versions and nginx are picked when the kernel's ephemeral range allows it:
#: above the well-known services, below the usual ephemeral range (32768-60999)
PORT_FLOOR = 20000
_LAST_PORT = 65535


def ephemeral_range(text: str | None = None) -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (``ip_local_port_range``)."""
    if text is None:
        try:
            text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        except OSError:
            text = ""
    try:
        low, high = (int(part) for part in text.split())
    except ValueError:
        return 32768, 60999  # Linux's default
    return low, high


def port_candidates(ephemeral: tuple[int, int]) -> list[int]:
    """Ports outside the ephemeral range, ``PORT_FLOOR`` and up: a port the kernel never hands
    to an outgoing connection. Empty when the range leaves none."""
    low, high = ephemeral
    return [port for port in range(PORT_FLOOR, _LAST_PORT + 1) if not low <= port <= high]


def _bind_test(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port to give a process that binds it later (a version, nginx).

    Between this check and that bind anything may take the port. A port from the kernel's
    ephemeral range is the likeliest to be taken: every outgoing connection on the machine
    (load clients, nginx's upstream connections) may get it as its local port, and the
    version then exits with "address in use" before its health check. So the port is drawn
    at random from outside that range, where only another explicit bind can take it, and
    checked free now; the kernel's own pick is the fallback. The draw uses the OS's entropy,
    never the ``random`` module's state (a test run reseeds that alike in every worker, which
    would then all pick the same ports)."""
    import random

    candidates = port_candidates(ephemeral_range())
    for port in random.SystemRandom().sample(candidates, min(len(candidates), 50)):
        if _bind_test(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        chosen: int = sock.getsockname()[1]
        return chosen


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def start_ticks(pid: int) -> int | None:
    """The kernel's start time of ``pid``: guards against acting on a recycled pid."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields is not None and len(fields) > 19 else None


def process_group(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[2]) if fields is not None and len(fields) > 2 else None


def is_alive(pid: int, ticks: int | None = None) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return not (ticks is not None and start_ticks(pid) not in (None, ticks))


def frozen(pid: int) -> bool:
    """Stopped (SIGSTOP, Ctrl-Z) or traced: alive, but it handles no signal and does no work."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] in ("T", "t")


def version_alive(version: Version) -> bool:
    """``version``'s process runs, and it is the one this work folder started (see
    :func:`ours`): a stranger's pid in a hand-edited state is never taken for a version."""
    return is_alive(version.pid, version.start_ticks) and ours(version.pid, version)


def environ_of(pid: int) -> dict[str, str] | None:
    """The environment ``pid`` was started with; None when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    found: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            found[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return found


#: how long a process just started may read an empty environment (mid-exec) before it is judged
EXEC_SETTLE_S = 2.0
#: (pid, start ticks, port, commit, release) -> whether it carries those marks; a process's
#: start environment never changes, so the answer is kept (the liveness checks are hot)
_OURS: dict[tuple[int, int | None, int, str, str], bool] = {}


def ours(pid: int, version: Version) -> bool:
    """Whether ``pid`` was started by :func:`start` for ``version`` (or descends from it):
    its start environment carries the ``PORT``, ``PYRAMID_COMMIT`` and ``PYRAMID_RELEASE``
    the deploy gave it. A pid and start time copied into the state by hand do not."""
    key = (pid, start_ticks(pid), version.port, version.commit, version.release)
    if key in _OURS:
        return _OURS[key]
    env = environ_of(pid)
    # A process in the middle of its exec reads an empty environment (the kernel has not set
    # the new one up yet): just started, it would be taken for nobody's, and kept so, and the
    # deploy said it "exited before it became healthy" with an empty log. Asked again until
    # the environment is there (a process of ours never has an empty one).
    deadline = time.monotonic() + EXEC_SETTLE_S
    while env == {} and time.monotonic() < deadline:
        time.sleep(0.005)
        env = environ_of(pid)
    if not env:
        return False  # unreadable (gone, or another user's): never ours to signal
    found = (env.get("PYRAMID_COMMIT") == version.commit and
             env.get("PYRAMID_RELEASE") == version.release and env.get("PORT") == str(version.port))
    _OURS[key] = found
    return found


def remnants(version: Version) -> list[int]:
    """Every other live process that carries ``version``'s marks (its start environment's
    ``PORT``, ``PYRAMID_COMMIT`` and ``PYRAMID_RELEASE``): a wrapper's children in its process
    group, and what it started in a session of its own (a worker, a daemon: hostile case 328).
    A version is its marks, not its process group; the leader itself excluded."""
    marks = {"PORT": str(version.port), "PYRAMID_COMMIT": version.commit,
             "PYRAMID_RELEASE": version.release}
    return [pid for pid in carrying(lambda env: all(env.get(k) == v for k, v in marks.items()))
            if pid != version.pid]


def carrying(match: Callable[[Mapping[str, str]], bool]) -> list[int]:
    """Every live process whose start environment ``match`` accepts, read from ``/proc`` (as
    verify runs are found by theirs: deploy/verify_owner.py), this process and its ancestors
    excepted (a command run from inside a version is not its own stray). An environment that
    cannot be read (gone, a zombie, another account's) is never matched."""
    spared = self_and_ancestors()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in spared:
            continue
        env = environ_of(int(entry.name))
        if env and match(env) and is_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def self_and_ancestors() -> set[int]:
    found: set[int] = set()
    pid = os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        fields = _stat_fields(pid)
        pid = int(fields[1]) if fields is not None and len(fields) > 1 else 0
    return found


def end(pids: Iterable[int], timeout: float) -> list[int]:
    """SIGTERM, then SIGKILL after ``timeout``, to ``pids`` (found just now by their marks,
    each checked against its start time so a recycled pid is never signalled); those left."""
    ticks = {pid: start_ticks(pid) for pid in pids}
    _signal_all([pid for pid, t in ticks.items() if is_alive(pid, t)], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(is_alive(p, t) for p, t in ticks.items()):
        time.sleep(0.05)
    _signal_all([pid for pid, t in ticks.items() if is_alive(pid, t)], signal.SIGKILL)
    return [pid for pid, t in ticks.items() if not wait_gone(pid, t, 2.0)]


def port_owner_problem(version: Version) -> str | None:
    """None when whoever listens on ``version``'s port is ``version``'s process or one of its
    group; otherwise who does (a stolen port is never routed to)."""
    holders = [pid for pid, _ in listeners([version.port]).items()]
    if not holders:
        return None  # not visible from here (another user's socket): the health check decides
    if any(pid == version.pid or (process_group(pid) == version.pid and ours(pid, version))
           for pid in holders):
        return None
    names = ", ".join(f"pid {pid} ({cmdline(pid)[:60] or '?'})" for pid in holders)
    return (f"{version.addr} is answered by {names}, which this deploy did not start (pid "
            f"{version.pid} is the version)")


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


def open_files(pid: int) -> set[tuple[int, int]] | None:
    """(device, inode) of every regular file ``pid`` holds open, renamed or removed ones
    included (a /proc fd link is followed to the open file itself); None when they cannot be
    read (another user's process, or gone)."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return None
    found: set[tuple[int, int]] = set()
    for fd in fds:
        with contextlib.suppress(OSError):
            info = os.stat(fd)
            if stat.S_ISREG(info.st_mode):
                found.add((info.st_dev, info.st_ino))
    return found


def children(pid: int) -> list[int] | None:
    """The direct children of ``pid`` from the kernel's per-thread lists (cheap: no scan of
    every process); None when the kernel does not offer them (CONFIG_PROC_CHILDREN)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        for task in tasks:
            found += [int(child) for child in (task / "children").read_text().split()]
    except (OSError, ValueError):
        return None
    return found


def group_members(pgid: int) -> list[int]:
    """Every live process in process group ``pgid``."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if process_group(pid) == pgid and is_alive(pid):
            found.append(pid)
    return found


def _listening_inodes(ports: Iterable[int]) -> dict[str, int]:
    """socket inode -> port for TCP sockets listening on ``ports`` (IPv4 and IPv6): asked of
    the kernel's socket table for listeners alone, else read from /proc/net/tcp*."""
    wanted = set(ports)
    found = _diag_listening()
    if found is None:
        return _proc_listening(wanted)
    return {str(inode): port for inode, port in found if port in wanted}


def _proc_listening(wanted: set[int]) -> dict[str, int]:
    """:func:`_listening_inodes` from /proc/net/tcp*: every socket, TIME_WAIT ones too (tens
    of thousands on a busy host, a quarter second per read), so only where sock_diag is not
    there."""
    inodes: dict[str, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 10 or parts[3] != "0A":  # 0A: LISTEN
                continue
            port = int(parts[1].rsplit(":", 1)[1], 16)
            if port in wanted:
                inodes[parts[9]] = port
    return inodes


#: netlink's sock_diag (linux/sock_diag.h, inet_diag.h): a dump of the TCP sockets in the
#: LISTEN state only, filtered by the kernel (the same table /proc/net/tcp formats in full)
_NETLINK_SOCK_DIAG, _SOCK_DIAG_BY_FAMILY, _NLMSG_ERROR, _NLMSG_DONE = 4, 20, 2, 3
_NLM_F_DUMP_REQUEST = 0x1 | 0x300
_TCP_LISTEN = 10
_NLMSG_HEADER = "=IHHII"
_SOCKID_SPORT = ">H"  # the id's first field, in network order
_DIAG_INODE_AT = 4 + 48 + 4 * 4  # after the head, the id, expires/rqueue/wqueue/uid


def _diag_listening() -> list[tuple[int, int]] | None:
    """(inode, port) of every listening TCP socket, IPv4 and IPv6, from sock_diag; None where
    netlink cannot answer (then /proc is read)."""
    import struct

    found: list[tuple[int, int]] = []
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG) as link:
            link.settimeout(5.0)  # a kernel that never ends its dump: /proc answers instead
            for seq, family in enumerate((socket.AF_INET, socket.AF_INET6), start=1):
                request = struct.pack("=BBBBI48x", family, socket.IPPROTO_TCP, 0, 0,
                                      1 << _TCP_LISTEN)
                link.send(struct.pack(_NLMSG_HEADER, 16 + len(request), _SOCK_DIAG_BY_FAMILY,
                                      _NLM_F_DUMP_REQUEST, seq, 0) + request)
                if not _diag_replies(link, found):
                    return None
    except (OSError, AttributeError, struct.error):  # AttributeError: no AF_NETLINK here
        return None
    return found


def _diag_replies(link: socket.socket, found: list[tuple[int, int]]) -> bool:
    """Read one dump's replies into ``found``; False on an error reply."""
    import struct

    while True:
        data = link.recv(1 << 16)
        at = 0
        while at + 16 <= len(data):
            length, kind, _, _, _ = struct.unpack_from(_NLMSG_HEADER, data, at)
            if kind == _NLMSG_DONE:
                return True
            if kind == _NLMSG_ERROR or length < 16:
                return False
            body = at + 16
            (port,) = struct.unpack_from(_SOCKID_SPORT, data, body + 4)
            (inode,) = struct.unpack_from("=I", data, body + _DIAG_INODE_AT)
            found.append((inode, port))
            at += (length + 3) & ~3  # NLMSG_ALIGN
        if not data:
            return False


def listeners(ports: Iterable[int]) -> dict[int, set[int]]:
    """pid -> the ``ports`` it holds a listening socket on (processes we may inspect)."""
    inodes = _listening_inodes(ports)
    if not inodes:
        return {}
    found: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                found.setdefault(int(entry.name), set()).add(inodes[link[8:-1]])
    return found


def render_command(template: str, **values: object) -> list[str]:
    try:
        return shlex.split(template.format(**values))
    except (KeyError, IndexError, ValueError) as exc:
        raise StartError(f"command template {template!r}: {exc!r}") from exc


class Registry:
    """``<work_dir>/registry/<pid>-<ticks>.json``: every version process we started and have
    not yet seen stopped."""

    def __init__(self, work_dir: Path) -> None:
        self.folder = work_dir / "registry"

    def _path(self, version: Version) -> Path:
        return self.folder / f"{version.pid}-{version.start_ticks}.json"

    def add(self, version: Version) -> None:
        write_json_atomic(self._path(version), version.as_dict())

    def remove(self, version: Version) -> None:
        with contextlib.suppress(OSError):
            self._path(version).unlink()

    def entries(self) -> tuple[list[Version], list[str]]:
        """The recorded versions, and a note for every record that could not be read."""
        versions: list[Version] = []
        problems: list[str] = []
        try:
            files = sorted(self.folder.glob("*.json"))
        except OSError:
            return [], []
        for path in files:
            try:
                versions.append(Version.from_dict(json.loads(path.read_text("utf-8"))))
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                problems.append(f"{path.name}: {exc}")
        return versions, problems

    def alive(self) -> list[Version]:
        versions, _ = self.entries()
        return [v for v in versions if version_alive(v)]

    def forget_dead(self) -> list[Version]:
        """Drop records of processes that have exited; returns them."""
        versions, _ = self.entries()
        gone = [v for v in versions if not version_alive(v) and not remnants(v)]
        for version in gone:
            self.remove(version)
        return gone


# -- the account versions run as (the host's run_as) -------------------------------------------
def versions_account() -> Account | None:
    """The host's ``run_as`` (deploy/host_pins.py), asked at every start: a host file that
    cannot be read, or a deploy that cannot drop to the account, starts nothing."""
    from pytest_pyramid.deploy.host_pins import versions_account as host_account

    try:
        return host_account()
    except PyramidError as exc:
        raise StartError(f"versions are not started: {exc}") from None


def writable_by(path: Path, account: Account) -> bool:
    """Whether ``account`` (its uid and its one group: versions get no supplementary group)
    may write ``path``, or make it writable: the one rule for the work folder, what it holds
    and every folder above it. Its owner may (it may chmod it, whatever the mode bits say);
    else a write bit of a class it falls in: a named user or group entry of the path's POSIX
    ACL (through the ACL's mask), the owning group, other. A link is never followed (its
    target is checked where it is used)."""
    try:
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode):
        return False
    if info.st_uid == account.uid:
        return True
    if _acl_writes(path, account):
        return True
    if info.st_gid == account.gid:
        return bool(info.st_mode & stat.S_IWGRP)
    return bool(info.st_mode & stat.S_IWOTH)


#: linux/posix_acl_xattr.h: the entry tags and the write permission
_ACL_USER, _ACL_GROUP, _ACL_MASK, _ACL_WRITE = 0x02, 0x08, 0x10, 0x02


def _acl_writes(path: Path, account: Account) -> bool:
    """Whether an entry of the path's POSIX ACL naming the account's uid or gid grants write
    (through the ACL's mask). Any such entry counts, a little wider than the kernel's order of
    entries: the question is only ever "could it write", and wider is the safe side. An ACL
    that cannot be read counts as granting (missing data is never a pass)."""
    import struct

    try:
        raw = os.getxattr(path, "system.posix_acl_access", follow_symlinks=False)
    except OSError as exc:
        # no ACL, or a file system without them: the mode bits are the whole story
        return exc.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP)
    if len(raw) < 4 or (len(raw) - 4) % 8:
        return True
    entries = [struct.unpack_from("<HHI", raw, at) for at in range(4, len(raw), 8)]
    mask = next((perm for tag, perm, _ in entries if tag == _ACL_MASK), 0o7)
    return any(perm & mask & _ACL_WRITE for tag, perm, who in entries
               if (tag, who) in ((_ACL_USER, account.uid), (_ACL_GROUP, account.gid)))


def exposed_work(work_dir: Path, account: Account) -> Path | None:
    """The first of the work folder and what it holds (state, lease, lock, logs, jobs, router,
    registry) that ``account`` may write; None when it may write none of them."""
    try:
        entries = sorted(work_dir.iterdir())
    except OSError:
        entries = []
    return next((path for path in (work_dir, *entries) if writable_by(path, account)), None)


def _replaceable_in(folder: Path, account: Account) -> bool:
    """Whether ``account`` may rename an entry of ``folder`` away and put its own in its
    place: it owns the folder (it may chmod it), or may write it, unless the folder is sticky
    and another account's (then only an entry's owner may move that entry)."""
    try:
        info = folder.stat()
    except OSError:
        return False  # not there (yet): the deploy creates it, with its own rights
    owned = info.st_uid == account.uid  # it may chmod it: the sticky bit too
    sticky = bool(info.st_mode & stat.S_ISVTX)
    return writable_by(folder, account) and (owned or not sticky)


def replaceable_above(path: Path, account: Account) -> Path | None:
    """The first folder on the path to ``path`` (as written and as its links resolve) in
    which ``account`` may swap ``path``'s way for its own (OpenSSH's StrictModes); None when
    every one holds."""
    written = Path(os.path.abspath(path))
    folders = dict.fromkeys((*reversed(written.parents), *reversed(written.resolve().parents)))
    return next((folder for folder in folders if _replaceable_in(folder, account)), None)


def _enterable(path: Path, account: Account) -> bool:
    try:
        info = path.stat()
    except OSError:
        return False
    bits = (stat.S_IXUSR if info.st_uid == account.uid else
            stat.S_IXGRP if info.st_gid == account.gid else stat.S_IXOTH)
    return bool(info.st_mode & bits)


def separation_problem(work_dir: Path, account: Account, release: Path | None = None
                       ) -> str | None:
    """Why versions running as ``account`` would not be kept from the deploy's files: the
    work folder (or an entry of it) writable by it, a folder above the work folder or
    ``release`` in which it could swap them for its own, or ``release`` out of its reach (a
    part not made yet is the deploy's to create)."""
    exposed = exposed_work(work_dir, account)
    if exposed is not None:
        return (f"{exposed} is writable by {account.name}, the account versions run as "
                f"(run_as, {account.origin}): make it the deploy account's alone")
    for kind, path in (("work folder", work_dir), ("release folder", release)):
        above = None if path is None else replaceable_above(path, account)
        if above is not None:
            return (f"{above}, a folder on the path to the {kind} {path}, is writable by "
                    f"{account.name}, the account versions run as (run_as, {account.origin}),"
                    f" so it could put its own folder in its place: make it not writable by "
                    f"{account.name}, or sticky and another account's")
    if release is not None:
        closed = out_of_reach(release, account)
        if closed is not None:
            return (f"{account.name} (run_as, {account.origin}) cannot enter {closed}, "
                    f"so it cannot run the release {release}")
    return None


def out_of_reach(path: Path, account: Account) -> Path | None:
    """The first folder on the way to ``path`` (or ``path`` itself: a folder to enter, a
    program to run) that ``account`` may not pass; None when it may reach it. A part not made
    yet is the deploy's to create."""
    for part in (*reversed(path.parents), path):
        if part.exists() and not _enterable(part, account):
            return part
    return None


def reach_problem(account: Account, needs: Mapping[str, Path]) -> str | None:
    """Why ``account`` cannot run what the deploy starts from the commit under test (``needs``:
    what runs -> the folder or program it needs: the deploy's own interpreter and
    :func:`interpreter_parts` for a pytest run, the folder it runs in); None when it can."""
    for what, path in needs.items():
        closed = out_of_reach(path, account)
        if closed is not None:
            return (f"{account.name} (run_as, {account.origin}) cannot enter {closed}, so it "
                    f"cannot run {what} ({path}): whatever the deploy starts from the commit "
                    f"runs as {account.name}, so it must be able to read it (a deploy "
                    "installed under root's home cannot be run by another account)")
    return None


def interpreter_parts() -> dict[str, Path]:
    """What a pytest run with the deploy's own interpreter reads: its program, its
    environment's and its standard library's folders, and pytest-pyramid's."""
    import sys

    import pytest_pyramid

    return {
        "the deploy's interpreter": Path(os.path.realpath(sys.executable)),
        "the deploy's environment": Path(os.path.realpath(sys.prefix)),
        "the interpreter's standard library": Path(os.path.realpath(os.__file__)).parent,
        "pytest-pyramid": Path(os.path.realpath(pytest_pyramid.__file__)).parent,
    }


def grant_release(release: Path, account: Account) -> None:
    """The release is the deploy's checkout (a private temporary folder renamed): its group
    becomes the account's, readable and never writable by it."""
    os.chown(release, -1, account.gid)
    os.chmod(release, 0o750)


def as_account(account: Account | None) -> dict[str, object]:
    """Popen's arguments that start a program of the commit as ``account``, with no
    supplementary group (the deploy's groups would give back what the account separation
    takes). Every start of the commit's code takes them: a version, a verify run, the
    migrations' check, a ``command`` router, a ``command`` metric (gates/sources: Spawn)."""
    if account is None:
        return {}
    return {"user": account.uid, "group": account.gid, "extra_groups": []}


def scratch(folder: Path, account: Account) -> Path:
    """``folder``, made afresh as the account's own (0700): where a program run as the
    account writes what the deploy then reads (:func:`read_written`), never the deploy's own
    files. A leftover of a killed run is removed first (links are never followed)."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)
    os.chown(folder, account.uid, account.gid)
    return folder


def read_written(path: Path, account: Account, limit: int) -> bytes:
    """A file a program running as ``account`` wrote, read by the deploy: only a regular file
    the account owns, never through a link (it could point the deploy's rights at a file of
    the deploy's), at most ``limit`` bytes. OSError naming why otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != account.uid:
            raise OSError(errno.EPERM, f"not a regular file of {account.name}", str(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        chunks: list[bytes] = []
        while sum(map(len, chunks)) <= limit and (chunk := os.read(fd, 1 << 20)):
            chunks.append(chunk)
        return b"".join(chunks)[:limit]
    finally:
        os.close(fd)


def version_env(account: Account | None, passed: Iterable[str],
                own: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed environment of a version (deploy/isolation.py): the account it runs
    as gives HOME and USER (``run_as``, else the deploy's own, by its uid: never the caller's
    variables), ``passed`` the names the commit's tracked table hands on."""
    import pwd
    import sys

    from pytest_pyramid.deploy.isolation import version_environ

    uid = os.getuid() if account is None else account.uid
    try:
        entry = pwd.getpwuid(uid)
        home, user = entry.pw_dir, entry.pw_name
    except KeyError:  # an account without a passwd entry: no home to give
        home, user = "/", str(uid)
    return version_environ(os.environ, passed=passed, home=home, user=user, own=own,
                           interpreter_dir=os.path.dirname(sys.executable),
                           same_account=uid == os.getuid())


def start(
    template: str, *, commit: str, release: Path, log_dir: Path, registry: Registry,
    started_at: str, deployment_id: int | None, port: int | None = None,
    pass_env: Iterable[str] = (),
) -> Version:
    """Spawn a version in ``release`` (its working folder) and register it at once; as the
    host's ``run_as`` account when it sets one (never the deploy's own rights then), with an
    allow-listed environment: ``pass_env`` are the names the commit's tracked table passes."""
    account = versions_account()
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    if account is not None:
        try:
            grant_release(release, account)
        except OSError as exc:
            raise StartError(f"cannot give {account.name} (run_as) the release {release}: "
                             f"{exc}") from None
        problem = separation_problem(registry.folder.parent, account, release)
        if problem is not None:
            raise StartError(problem)
    argv = render_command(template, port=port, release=release, commit=commit)
    log_path = log_dir / f"{commit[:12]}-{port}.log"
    env = version_env(account, pass_env, {"PORT": str(port), "PYRAMID_RELEASE": str(release),
                                          "PYRAMID_COMMIT": commit})
    dropped = as_account(account)
    with log_path.open("ab") as log:
        try:
            # A new session: the version must outlive this deploy process and its terminal.
            child = subprocess.Popen(  # type: ignore[call-overload]
                argv, cwd=release, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, **dropped,
            )
        except OSError as exc:
            raise StartError(f"cannot start {argv[0]!r}: {exc}") from exc
    _CHILDREN[child.pid] = child
    version = Version(commit, port, child.pid, str(release), str(log_path),
                      start_ticks(child.pid), template, started_at, deployment_id)
    try:
        registry.add(version)
    except OSError as exc:
        # Unrecorded, it could outlive us unseen: better not to run it at all.
        stop(version, 2.0, registry)
        raise StartError(f"cannot record the new process in {registry.folder}: {exc}") from exc
    return version


def restart(version: Version, *, log_dir: Path, registry: Registry, started_at: str,
            deployment_id: int | None = None) -> Version:
    """Start the same release again, from its folder with its start template, on a new port."""
    if not version.command:
        raise StartError(f"{version.commit[:12]}: no recorded command to start it again")
    if not Path(version.release).is_dir():
        raise StartError(f"{version.commit[:12]}: its release folder {version.release} is gone")
    return start(version.command, commit=version.commit, release=Path(version.release),
                 log_dir=log_dir, registry=registry, started_at=started_at,
                 deployment_id=deployment_id if deployment_id is not None
                 else version.deployment_id)


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
            stolen = port_owner_problem(version)
            if stolen is not None:
                raise StartError(stolen)
            return time.monotonic() - started
        time.sleep(0.05)
    raise StartError(f"{version.addr}{path} not healthy after {timeout:.0f}s (last: {last})")


def _ours_left(version: Version) -> list[int]:
    leader = [version.pid] if version_alive(version) else []
    return leader + remnants(version)


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def stop(version: Version, timeout: float, registry: Registry | None = None) -> bool:
    """SIGTERM, then SIGKILL after ``timeout``, to the version and what is left of its process
    group (a wrapper start command's children); only ever processes that carry its marks
    (:func:`ours`), never a stranger holding a recycled pid. True when all are gone."""
    left = _ours_left(version)
    if left:
        _signal_all(left, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _ours_left(version):
            time.sleep(0.05)
        for _ in range(3):  # a dying wrapper may still start a child: look again
            left = _ours_left(version)
            if not left:
                break
            _signal_all(left, signal.SIGKILL)
            child = _CHILDREN.get(version.pid)
            if child is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=5)
            # Not our child (a later command stopping it): SIGKILL is asynchronous.
            for pid in left:
                wait_gone(pid, start_ticks(pid), 2.0)
    gone = not _ours_left(version)
    if gone:
        _CHILDREN.pop(version.pid, None)
        if registry is not None:
            registry.remove(version)
    return gone


def wait_gone(pid: int, ticks: int | None, timeout: float) -> bool:
    """True once ``pid`` (with that start time) is gone, False if it outlived ``timeout``."""
    deadline = time.monotonic() + timeout
    while is_alive(pid, ticks):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True
