"""nginx as the traffic router: two nginx instances, generated configs, `nginx -t` before every
reload, verified applies, orphan clean-up and draining.

Why two: every reload makes the old nginx workers close their idle keep-alive client
connections, and a client that sends its next request on such a connection just then loses
it (measured: one failed request per reload for a keep-alive ``http.client`` client). So the
**edge** nginx, which holds the clients' connections on the public port, is never reloaded
during a rollout; it forwards each request on a fresh loopback connection to the **split**
nginx, which holds the weighted upstream and is reloaded at every step. A new connection is
queued on the split's listening socket, which survives reloads, so no request is lost there.

Each instance runs in its own session (its process group is its master's pid), with its pid
file, logs and temp paths under ``<work_dir>/router/<edge|split>``, listening on 127.0.0.1
only, and answers ``/__pyramid/generation`` on a private admin port with the generation it
serves. Single host only: this is the embedded default, not a fleet's load balancer.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid._files import write_json_atomic, write_text_atomic
from pytest_pyramid.deploy import processes
from pytest_pyramid.deploy.analysis import LOG_FORMAT
from pytest_pyramid.deploy.isolation import program_environ
from pytest_pyramid.deploy.routers.base import ApplyResult, RouterHealth, RouterState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.deploy.config import DeployConfig

#: where the deploy finds a system program named without a folder (the default ``nginx``):
#: the host's fixed search path, the daemons' folders included, never the caller's PATH
HOST_PROGRAM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def host_program(name: str) -> str:
    """``name`` as the deploy runs it: a path is kept; a bare name is found on
    :data:`HOST_PROGRAM_PATH`, because a program the deploy runs as its account is the
    host's, and the caller's ``PATH`` would choose it (hostile case 279: a ``nginx`` script
    first on the deploy's PATH ran as root). Not found there: the path it would have, whose
    start then fails naming it."""
    import shutil

    if "/" in name:
        return name
    found = shutil.which(name, path=HOST_PROGRAM_PATH)
    return found or f"{HOST_PROGRAM_PATH.split(':')[0]}/{name}"


GENERATION_PATH = "/__pyramid/generation"
_GENERATION = re.compile(r"generation=(\d+) weights=(\S*)(?: pinned=(\S+))?")
#: the route a verify run takes to the new version (routers/base.py: Router, the route
#: contract): the edge sets this header on its private verify port only and strips it from
#: every client request; the split routes a request carrying it to the pinned upstream, and
#: only while a rollout pins one. Any other value, or no pin, is the weighted split.
PIN_HEADER = "X-Pyramid-Target"
PIN_VALUE = "canary"
_PIN_VARIABLE = "$http_" + PIN_HEADER.lower().replace("-", "_")
_SHUTTING_DOWN = "is shutting down"  # nginx's process title for an old worker after a reload
#: a running master whose instance does not answer its admin port this long, twice in a row,
#: is hung (workers stopped, spinning or wedged): a router failure, and it is restarted
HUNG_AFTER_S = 1.0
#: how long a check waits for nginx to reopen a rotated log (it does so in milliseconds)
LOG_REOPEN_S = 1.0


@dataclass(frozen=True)
class Instance:
    """One nginx: its prefix folder and the files in it."""

    role: str
    prefix: Path

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def pid(self) -> Path:
        return self.prefix / "nginx.pid"

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "access.log"

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    @property
    def pinned_log(self) -> Path:
        """The split's log of pinned requests (a verify run's), kept out of the analysis."""
        return self.prefix / "logs" / "pinned.log"

    def temp_paths(self) -> str:
        tmp = self.prefix / "tmp"
        return "\n".join(f"    {kind}_temp_path {tmp}/{kind};" for kind in (
            "client_body", "proxy", "fastcgi", "uwsgi", "scgi"))


def _seconds(value: float) -> str:
    return f"{max(value, 0.001) * 1000:.0f}ms"


def render_split(
    *, instance: Instance, port: int, admin_port: int, weights: Mapping[str, int],
    generation: int, request_timeout: float, drain_timeout: float,
    include: Path | None = None, run_as: str | None = None, pinned: str | None = None,
) -> str:
    """The routing nginx. Servers at weight 0 must not be passed (nginx rejects weight=0).

    ``pinned``: the new version of a rollout in progress, which a request carrying
    ``PIN_HEADER: PIN_VALUE`` reaches whatever the weights (``_pin_route``)."""
    if not weights or any(w <= 0 for w in weights.values()):
        raise ValueError(f"every upstream needs a weight > 0: {dict(weights)}")
    if pinned is not None and pinned not in weights:
        raise ValueError(f"the pinned version {pinned} has no weight: {dict(weights)}")
    servers = "\n".join(f"        server {addr} weight={w};" for addr, w in weights.items())
    encoded = ",".join(f"{addr}={w}" for addr, w in weights.items()) + (
        f" pinned={pinned}" if pinned else "")
    route, logs = _pin_route(instance, pinned)
    user = f"user {run_as};\n" if run_as else ""
    include_line = f"        include {include};\n" if include else ""
    timeout = _seconds(request_timeout)
    return f"""# generated by pytest-pyramid deploy: the split nginx; generation {generation}
{user}daemon off;
worker_processes 1;
worker_shutdown_timeout {_seconds(drain_timeout)};
pid {instance.pid};
error_log {instance.error_log} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    log_format pyramid '{LOG_FORMAT}';
{_transparent(_seconds(2 * request_timeout + 5.0))}{instance.temp_paths()}
    upstream pyramid_app {{
{servers}
        keepalive 16;
    }}
{route}    server {{
        listen 127.0.0.1:{port};
{logs}{include_line}        location / {{
            proxy_pass http://{"$pyramid_route" if pinned else "pyramid_app"};
            # the pin is the router's business: the application never sees the header
            proxy_set_header {PIN_HEADER} "";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_connect_timeout {_seconds(min(request_timeout, 75.0))};
            proxy_read_timeout {timeout};
            proxy_send_timeout {timeout};
            # a refused connection or a time-out is retried once on the other version
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
        }}
    }}
    server {{
        listen 127.0.0.1:{admin_port};
        location = {GENERATION_PATH} {{
            default_type text/plain;
            return 200 "generation={generation} weights={encoded}\\n";
        }}
    }}
}}
"""


def include_copy(work_dir: Path, data: bytes) -> Path:
    """The router's own copy of the commit's ``nginx_include`` (``data``, read from git at the
    rollout's commit), which the split includes instead of the checkout's file: nginx reads an
    include at every reload, so a file of the working tree would let an uncommitted edit serve
    users (hostile case 378). Named by its content, so a copy is never rewritten under a
    running nginx with other content."""
    import hashlib

    from pytest_pyramid._files import write_bytes_atomic

    path = work_dir / "router" / f"include-{hashlib.sha256(data).hexdigest()[:16]}.conf"
    if not path.exists() or path.read_bytes() != data:
        write_bytes_atomic(path, data)
    return path


def _pin_route(instance: Instance, pinned: str | None) -> tuple[str, str]:
    """The split's pinned route and its access logs. Without a pin every request takes the
    weighted upstream and is logged for the analysis. With one, a request carrying exactly
    ``PIN_HEADER: PIN_VALUE`` goes to the pinned version alone (no retry on another: a
    pinned request never lands elsewhere unseen) and is logged apart, in ``pinned_log``: a
    verify run's requests are not user traffic, so the analysis never counts them."""
    logs = f"        access_log {instance.access_log} pyramid;\n"
    if pinned is None:
        return "", logs
    route = f"""    map {_PIN_VARIABLE} $pyramid_route {{
        default pyramid_app;
        {PIN_VALUE} pyramid_pinned;
    }}
    map {_PIN_VARIABLE} $pyramid_user {{
        default 1;
        {PIN_VALUE} 0;
    }}
    map {_PIN_VARIABLE} $pyramid_pinned {{
        default 0;
        {PIN_VALUE} 1;
    }}
    upstream pyramid_pinned {{
        server {pinned};
        keepalive 4;
    }}
"""
    logs = (f"        access_log {instance.access_log} pyramid if=$pyramid_user;\n"
            f"        access_log {instance.pinned_log} pyramid if=$pyramid_pinned;\n")
    return route, logs


#: the edge waits at least this long for the split (which enforces request_timeout)
EDGE_PATIENCE_S = 600.0


def _transparent(patience: str) -> str:
    """http-level directives so the router does not change what the application accepts: no
    body size limit (nginx's default answers 413 above 1 MiB), headers as large as the
    application takes, and client-side time-outs as long as a request may take."""
    return f"""    client_max_body_size 0;
    large_client_header_buffers 8 64k;
    proxy_buffer_size 64k;
    proxy_buffers 16 64k;
    proxy_busy_buffers_size 128k;
    client_body_timeout {patience};
    client_header_timeout {patience};
    send_timeout {patience};
"""


def render_edge(
    *, instance: Instance, port: int, admin_port: int, split_port: int, request_timeout: float,
    drain_timeout: float, run_as: str | None = None, verify_port: int | None = None,
) -> tuple[str, int]:
    """The client-facing nginx: one fixed upstream (the split), never reloaded mid-rollout.

    A client's ``PIN_HEADER`` is dropped, so the public port never pins. ``verify_port``: a
    private loopback port that forwards like the public one with ``PIN_HEADER: PIN_VALUE``
    set, the route a verify run takes to the pinned version (nothing logged at the edge: it is
    not a client). Its generation is a digest of its settings, so a changed setting is a new
    generation."""
    # A request may wait request_timeout on one version and again on the retry; the split
    # enforces request_timeout. The edge only must never cut earlier, so it waits at least
    # EDGE_PATIENCE_S: a changed request_timeout below that needs no reload of the edge (a
    # reload is the one moment a keep-alive client may lose an idle connection).
    waits = max(2 * request_timeout + 5.0, EDGE_PATIENCE_S)
    drain_timeout = max(drain_timeout, waits)
    settings = (port, admin_port, split_port, waits, drain_timeout, run_as,
                str(instance.prefix)) + ((verify_port,) if verify_port is not None else ())
    generation = zlib.crc32(repr(settings).encode()) & 0x7FFFFFFF
    user = f"user {run_as};\n" if run_as else ""
    patience = _seconds(waits)
    return f"""# generated by pytest-pyramid deploy: the edge nginx (holds client connections)
{user}daemon off;
worker_processes 1;
worker_shutdown_timeout {_seconds(drain_timeout)};
pid {instance.pid};
error_log {instance.error_log} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    log_format pyramid '{LOG_FORMAT}';
{_transparent(patience)}{instance.temp_paths()}
    server {{
        listen 127.0.0.1:{port};
        access_log {instance.access_log} pyramid;
{_edge_location(split_port, patience, "")}
    }}
{_edge_verify_server(verify_port, split_port, patience)}    server {{
        listen 127.0.0.1:{admin_port};
        location = {GENERATION_PATH} {{
            default_type text/plain;
            return 200 "generation={generation} weights=split\\n";
        }}
    }}
}}
""", generation


def _edge_location(split_port: int, patience: str, pin: str) -> str:
    """The edge's one location: forward to the split, ``PIN_HEADER`` set to ``pin`` ("" drops
    whatever the client sent)."""
    return f"""        location / {{
            proxy_pass http://127.0.0.1:{split_port};
            proxy_set_header Host $host;
            proxy_set_header {PIN_HEADER} "{pin}";
            proxy_connect_timeout 5s;
            proxy_read_timeout {patience};
            proxy_send_timeout {patience};
            proxy_next_upstream off;
        }}"""


def _edge_verify_server(verify_port: int | None, split_port: int, patience: str) -> str:
    if verify_port is None:
        return ""
    return f"""    server {{
        listen 127.0.0.1:{verify_port};
        access_log off;
{_edge_location(split_port, patience, PIN_VALUE)}
    }}
"""


def _write_config(path: Path, text: str) -> None:
    """Atomically when the disk allows it; on a full disk the file is rewritten in place
    (truncating it frees the blocks the new text, of the same shape, needs), so a rollback
    never waits for space. nginx reads it only at the reload that follows."""
    try:
        write_text_atomic(path, text)
    except OSError:
        with path.open("r+b") as handle:
            handle.truncate(0)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _run_as() -> str | None:
    # As root nginx drops workers to "nobody", who cannot enter a private work folder.
    return pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None


class NginxRouter:
    name = "nginx"

    def __init__(
        self, work_dir: Path, *, port: int, binary: str = "nginx", include: Path | None = None,
        request_timeout: float = 10.0,
    ) -> None:
        self.folder = work_dir / "router"
        self.edge = Instance("edge", self.folder / "edge")
        self.split = Instance("split", self.folder / "split")
        self.facts_path = self.folder / "router.json"
        self.port = port
        self.binary = host_program(binary)
        self.include = include
        self.request_timeout = request_timeout
        self.drain_timeout = 2 * request_timeout + 5.0
        self.verify_timeout = 10.0
        #: split workers of the configuration before the last reload: pid -> start time
        self._retiring: dict[int, int | None] = {}
        self._unsaved: dict[str, object] = {}
        #: instances whose running master's admin port did not answer the last check
        self._silent: set[str] = set()
        #: per instance, the master and the log file found when it was last told to reopen
        self._reopen_tried: dict[str, tuple[int, tuple[int, int] | None]] = {}

    # -- persistent router facts (ports, generation, masters) ----------------------------------
    def _load(self) -> dict[str, object]:
        try:
            data = json.loads(self.facts_path.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
        # facts this process could not write (a full disk) still count for it
        return {**data, **self._unsaved} if isinstance(data, dict) else dict(self._unsaved)

    def _save(self, **changes: object) -> None:
        # Best effort: nginx itself is asked for the truth; these facts only help find it.
        try:
            write_json_atomic(self.facts_path, {**self._load(), **changes})
        except OSError:
            self._unsaved.update(changes)
        else:
            self._unsaved.clear()

    def _port_fact(self, name: str) -> int:
        value = self._load().get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        port = processes.free_port()
        self._save(**{name: port})
        return port

    @property
    def split_port(self) -> int:
        return self._port_fact("split_port")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path | None:
        return self.split.access_log

    @property
    def client_log_path(self) -> Path | None:
        return self.edge.access_log

    @property
    def error_log_path(self) -> Path | None:
        return self.split.error_log

    @property
    def pinned_url(self) -> str | None:
        """The edge's private verify port: every request through it carries the pin header."""
        return f"http://127.0.0.1:{self._port_fact('edge_verify_port')}"

    @property
    def pinned_log_path(self) -> Path | None:
        return self.split.pinned_log

    def _ports(self) -> list[int]:
        facts = self._load()
        extra = [facts.get(k) for k in ("split_port", "edge_admin_port", "split_admin_port",
                                        "edge_verify_port")]
        return [self.port, *(p for p in extra if isinstance(p, int))]

    # -- processes --------------------------------------------------------------------------
    def _cmd(self, instance: Instance, *extra: str, conf: Path | None = None) -> list[str]:
        return [self.binary, "-p", str(instance.prefix), "-e", str(instance.error_log),
                "-c", str(conf or instance.conf), *extra]

    def _master_record(self, instance: Instance) -> tuple[int, int | None] | None:
        masters = self._load().get("masters")
        record = masters.get(instance.role) if isinstance(masters, dict) else None
        if isinstance(record, list) and len(record) == 2 and isinstance(record[0], int):
            return record[0], record[1] if isinstance(record[1], int) else None
        return None

    def master_pid(self, instance: Instance) -> int | None:
        """The live master of ``instance``: our pid file's (or our record's) pid, only while it
        is an nginx run with our prefix. A stale pid file may name a recycled pid by now."""
        candidates: list[int] = []
        with contextlib.suppress(OSError, ValueError):
            candidates.append(int(instance.pid.read_text().strip()))
        record = self._master_record(instance)
        if record is not None:
            candidates.append(record[0])
        for pid in candidates:
            if processes.is_alive(pid) and str(instance.prefix) in processes.cmdline(pid) \
                    and "nginx" in processes.cmdline(pid):
                # A frozen master applies no reload and restarts no worker: it counts as
                # dead, so its process group is stopped as orphans and nginx started again.
                return None if processes.frozen(pid) else pid
        return None

    def running(self) -> bool:
        return self.master_pid(self.split) is not None and self.master_pid(self.edge) is not None

    def orphans(self) -> list[tuple[int, str]]:
        """nginx processes of ours left without their master: the process group of a recorded
        master that died, and nginx processes listening on our ports outside a live group."""
        live_groups = {pid for pid in (self.master_pid(self.edge), self.master_pid(self.split))
                       if pid is not None}
        found: dict[int, str] = {}
        for instance in (self.edge, self.split):
            record = self._master_record(instance)
            if record is None or record[0] in live_groups:
                continue
            for pid in processes.group_members(record[0]):
                title = processes.cmdline(pid)
                if title.startswith("nginx"):
                    found[pid] = f"{instance.role} {title} (pid {pid})"
        for pid, held in processes.listeners(self._ports()).items():
            if pid in found or processes.process_group(pid) in live_groups:
                continue
            title = processes.cmdline(pid)
            if title.startswith("nginx") and self._ours(pid):
                ports = ", ".join(str(p) for p in sorted(held))
                found[pid] = f"{title} (pid {pid}) listening on {ports}"
        return sorted(found.items())

    def _ours(self, pid: int) -> bool:
        """Whether ``pid`` belongs to a live nginx run with this router's prefix (allow-list:
        what the deploy can prove it started). Anything else listening on our port is never
        ours to stop: another work folder's router (hostile case 228: a second target killed
        the first one's live edge), or the host's own nginx, started without our ``-p``
        (hostile case 282: it was stopped as "orphaned"). Its port stays taken, so our start
        fails, naming it, instead. Workers left by a dead master of ours are found through
        the master's record (the first loop of :meth:`orphans`)."""
        master = processes.process_group(pid)
        if master is None or not processes.is_alive(master):
            return False
        words = processes.cmdline(master).split()
        if "-p" not in words[:-1]:
            return False
        prefix = Path(words[words.index("-p") + 1])
        return prefix in (self.edge.prefix, self.split.prefix)

    def _kill_orphans(self) -> list[str]:
        orphans = self.orphans()
        for pid, _ in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGQUIT)  # graceful: requests in flight may finish
        deadline = time.monotonic() + 1.0
        for pid, _ in orphans:
            ticks = processes.start_ticks(pid)
            if not processes.wait_gone(pid, ticks, max(0.0, deadline - time.monotonic())):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                processes.wait_gone(pid, ticks, 2.0)
        return [label for _, label in orphans]

    # -- configs ----------------------------------------------------------------------------
    def _render_split(self, weights: Mapping[str, int], generation: int,
                      pinned: str | None = None) -> str:
        return render_split(
            instance=self.split, port=self.split_port,
            admin_port=self._port_fact("split_admin_port"), weights=weights,
            generation=generation, request_timeout=self.request_timeout,
            drain_timeout=self.drain_timeout, include=self.include, run_as=_run_as(),
            pinned=pinned,
        )

    def _render_edge(self) -> tuple[str, int]:
        return render_edge(
            instance=self.edge, port=self.port, admin_port=self._port_fact("edge_admin_port"),
            split_port=self.split_port, request_timeout=self.request_timeout,
            drain_timeout=self.drain_timeout, run_as=_run_as(),
            verify_port=self._port_fact("edge_verify_port"),
        )

    def _prepare_dirs(self) -> None:
        for instance in (self.edge, self.split):
            for folder in (instance.prefix / "logs", instance.prefix / "tmp"):
                folder.mkdir(parents=True, exist_ok=True)

    def _test(self, instance: Instance, text: str) -> str | None:
        """None when ``nginx -t`` accepts ``text``, else nginx's complaint."""
        self._prepare_dirs()
        candidate = instance.prefix / "nginx.conf.candidate"
        try:
            write_text_atomic(candidate, text)
        except OSError:
            # the work folder is full: test the candidate from the temporary folder (every
            # path in it is absolute), so a rollback is not refused for want of space
            spare = Path(tempfile.gettempdir())
            candidate = spare / f"pyramid-{instance.role}-{os.getpid()}.conf"
            write_text_atomic(candidate, text)
        try:
            result = subprocess.run(self._cmd(instance, "-t", "-q", conf=candidate),
                                    capture_output=True, text=True, timeout=30,
                                    env=program_environ(os.environ))
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"cannot run {self.binary} -t: {exc}"
        finally:
            candidate.unlink(missing_ok=True)
        if result.returncode != 0:
            return (result.stderr or result.stdout).strip() or \
                f"nginx -t exited {result.returncode}"
        return None

    def validate(self, weights: Mapping[str, int]) -> str | None:
        problem = self._test(self.split, self._render_split(weights, 0))
        return problem or self._test(self.edge, self._render_edge()[0])

    # -- what nginx says ------------------------------------------------------------------------
    def _ask(self, admin_port: object, timeout: float = 2.0) -> RouterState | None:
        if not isinstance(admin_port, int):
            return None
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{admin_port}{GENERATION_PATH}", timeout=timeout
            ) as response:
                text = response.read().decode()
        except OSError:
            return None
        match = _GENERATION.search(text)
        if match is None:
            return None
        weights: dict[str, int] = {}
        for item in filter(None, match.group(2).split(",")):
            addr, _, weight = item.rpartition("=")
            if weight.isdigit():
                weights[addr] = int(weight)
        return RouterState(int(match.group(1)), weights, match.group(3))

    def _heard(self, admin_port: object) -> RouterState | None:
        """The admin port's answer, asked twice with a short time-out: a hung instance is
        found within about two seconds, one slow answer under load is not taken for a hang."""
        return self._ask(admin_port, HUNG_AFTER_S) or self._ask(admin_port, HUNG_AFTER_S)

    def actual(self) -> RouterState | None:
        """What the split nginx is serving right now, asked from nginx itself."""
        if self.master_pid(self.split) is None:
            return None
        return self._ask(self._load().get("split_admin_port"))

    def check(self) -> RouterHealth:
        problems: list[str] = []
        silent: set[str] = set()
        edge, split = self.master_pid(self.edge), self.master_pid(self.split)
        facts = self._load()
        if split is None:
            problems.append("the split nginx master is not running")
        if edge is None:
            problems.append("the edge nginx master is not running")
        if split is not None:
            stopped = self._stopped_workers(self.split, split)
            live = None if stopped else self._heard(facts.get("split_admin_port"))
            expected = facts.get("generation")
            if live is None:
                silent.add("split")
                problems.append(stopped or "the split nginx does not answer on its admin port")
            elif isinstance(expected, int) and live.generation != expected:
                problems.append(f"the split nginx serves generation {live.generation}, "
                                f"expected {expected}")
        if edge is not None:
            stopped = self._stopped_workers(self.edge, edge)
            if stopped or self._heard(facts.get("edge_admin_port")) is None:
                silent.add("edge")
                problems.append(stopped or "the edge nginx does not answer on its admin port")
        self._silent = silent
        if edge is None or split is None:
            problems.extend(f"orphaned {label}" for _, label in self.orphans())
        notes = [note for instance, master in ((self.split, split), (self.edge, edge))
                 if master is not None and instance.role not in silent
                 for note in [self._reopen_if_rotated(instance, master)] if note]
        return RouterHealth(running=edge is not None and split is not None,
                            problems=tuple(problems), notes=tuple(notes))

    @staticmethod
    def _stopped_workers(instance: Instance, master: int) -> str | None:
        """Why the instance is hung when its workers are stopped (SIGSTOP, traced): known
        from the kernel at once, with no probe to wait out; None otherwise (a worker that
        spins or is wedged is found by the admin-port probe)."""
        # nginx's workers are the master's children (a scan of every process for its group
        # costs tens of milliseconds on a busy machine, twice every 0.5 s)
        workers = processes.children(master)
        if workers is None:
            workers = [pid for pid in processes.group_members(master) if pid != master]
        stopped = [pid for pid in workers if processes.frozen(pid)]
        if not stopped:
            return None
        return (f"the {instance.role} nginx's workers are stopped (pid "
                f"{', '.join(str(pid) for pid in stopped)}): nothing they hold is answered")

    def _reopen_if_rotated(self, instance: Instance, master: int) -> str | None:
        """After a rotation (the access log renamed away or removed, a new file perhaps
        created in its place) nginx goes on writing to the file it has open, and the analysis
        would stay blind until nginx restarts: the master is told to reopen its logs (SIGUSR1,
        what logrotate's postrotate does), and the file at the path is what it writes from
        then on. A path that is not a regular file (nothing nginx could open) is left: the
        analysis says it is blind."""
        path = instance.access_log
        try:
            info = os.stat(path)
        except FileNotFoundError:
            info = None
        except OSError:
            return None
        if info is None and not path.parent.is_dir():
            return None  # nowhere nginx could create it: blind, said by the analysis
        if info is not None and not stat.S_ISREG(info.st_mode):
            return None
        held = processes.open_files(master)
        if held is None:
            return None
        if info is not None and (info.st_dev, info.st_ino) in held:
            self._reopen_tried.pop(instance.role, None)  # writing where it should
            return None
        found = (master, None if info is None else (info.st_dev, info.st_ino))
        if self._reopen_tried.get(instance.role) == found:
            return None  # told already and it did not take: not again at every check
        self._reopen_tried[instance.role] = found
        with contextlib.suppress(ProcessLookupError):
            os.kill(master, signal.SIGUSR1)
        deadline = time.monotonic() + LOG_REOPEN_S
        while time.monotonic() < deadline:  # the master reopens, then tells its workers
            with contextlib.suppress(OSError):
                info = os.stat(path)
                if (info.st_dev, info.st_ino) in (processes.open_files(master) or set()):
                    return f"the {instance.role} nginx reopened its logs ({path} was rotated)"
            time.sleep(0.01)
        return f"the {instance.role} nginx was told to reopen its logs ({path} was rotated)"

    def _wait_generation(self, admin_port: object, generation: int) -> bool:
        deadline = time.monotonic() + self.verify_timeout
        while time.monotonic() < deadline:
            state = self._ask(admin_port)
            if state is not None and state.generation == generation:
                return True
            time.sleep(0.02)
        return False

    # -- changes ----------------------------------------------------------------------------
    def _start(self, instance: Instance, text: str, admin_port: int, generation: int) -> str | None:
        """Start ``instance`` with ``text``; None when it serves ``generation``, else why not."""
        problem = self._test(instance, text)
        if problem:
            return f"nginx -t rejected the {instance.role} config: {problem}"
        write_text_atomic(instance.conf, text)
        instance.pid.unlink(missing_ok=True)
        with instance.error_log.open("ab") as err:
            # Its own session: nginx keeps routing after this deploy process exits.
            child = subprocess.Popen(self._cmd(instance), stdout=err, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=program_environ(os.environ))
        processes.track(child)
        masters = self._load().get("masters")
        self._save(masters={**(masters if isinstance(masters, dict) else {}),
                            instance.role: [child.pid, processes.start_ticks(child.pid)]})
        if not self._wait_generation(admin_port, generation) or child.poll() is not None:
            return f"the {instance.role} nginx did not start (see {instance.error_log})"
        return None

    def ensure_running(self, weights: Mapping[str, int],
                       pinned: str | None = None) -> ApplyResult:
        """Start whichever nginx is not running (cleaning up orphans first); a running split
        keeps its weights. A running edge whose settings changed is reloaded (outside a
        rollout: the one time clients' idle keep-alive connections are closed)."""
        started = time.monotonic()
        notes: list[str] = []
        edge_alive = self.master_pid(self.edge) is not None
        split_alive = self.master_pid(self.split) is not None
        for instance, alive in ((self.edge, edge_alive), (self.split, split_alive)):
            hung = self._end_if_hung(instance) if alive else None
            if hung is not None:
                notes.append(hung)
                edge_alive = edge_alive and instance is not self.edge
                split_alive = split_alive and instance is not self.split
        if not (edge_alive and split_alive):
            killed = self._kill_orphans()
            if killed:
                notes.append(f"stopped orphaned {', '.join(killed)}")
        self._prepare_dirs()
        taken = self._taken_ports(edge_alive, split_alive)
        if self.port in taken:
            return ApplyResult(False, 0, time.monotonic() - started,
                               f"127.0.0.1:{self.port} is in use by {taken[self.port]}")
        if taken:
            # A private port of ours was taken meanwhile by another program: pick new ones
            # (the edge, if it runs, is reloaded below to forward to the new split port).
            self._save(**dict.fromkeys(("split_port", "split_admin_port", "edge_admin_port",
                                        "edge_verify_port")))
            notes.append("private ports in use by another program were replaced")
        facts = self._load()
        generation = _int(facts.get("generation"))
        if not split_alive:
            generation = max(generation, 0) + 1
            why = self._start(self.split, self._render_split(weights, generation, pinned),
                              self._port_fact("split_admin_port"), generation)
            if why:
                return ApplyResult(False, generation, time.monotonic() - started, why)
            self._save(generation=generation, weights=dict(weights))
            notes.append("split nginx started")
        edge_text, edge_generation = self._render_edge()
        if not edge_alive:
            why = self._start(self.edge, edge_text, self._port_fact("edge_admin_port"),
                              edge_generation)
            if why:
                return ApplyResult(False, generation, time.monotonic() - started, why)
            notes.append("edge nginx started")
        elif self._read(self.edge.conf) != edge_text:
            problem = self._reload(self.edge, edge_text, self._port_fact("edge_admin_port"),
                                   edge_generation)
            if problem:
                return ApplyResult(False, generation, time.monotonic() - started, problem)
            notes.append("edge nginx reloaded with new settings")
        live = self.actual()
        return ApplyResult(True, live.generation if live else generation,
                           time.monotonic() - started, "; ".join(notes) or "already running")

    def _end_if_hung(self, instance: Instance) -> str | None:
        """A master that runs (not stopped) but whose instance did not answer on its admin port
        at the last check, asked twice (its workers stopped, spinning or wedged): the process
        group is killed, so it can be started again like a dead one. Returns what was done;
        None for an instance the last check heard."""
        master = self.master_pid(instance)
        if master is None or instance.role not in self._silent:
            return None
        self._silent.discard(instance.role)
        members = {pid: processes.start_ticks(pid) for pid in processes.group_members(master)}
        with contextlib.suppress(ProcessLookupError):
            os.killpg(master, signal.SIGKILL)  # the group is ours: master_pid checked it
        for pid, ticks in members.items():
            processes.wait_gone(pid, ticks, 5.0)
        return (f"the {instance.role} nginx (pid {master}) was hung (its workers stopped, or "
                f"its admin port silent {HUNG_AFTER_S:g}s twice): killed with its workers")

    def _taken_ports(self, edge_alive: bool, split_alive: bool) -> dict[int, str]:
        """Ports an instance about to start needs that something else already holds."""
        facts = self._load()
        wanted = []
        if not edge_alive:
            wanted += [self.port, facts.get("edge_admin_port"), facts.get("edge_verify_port")]
        if not split_alive:
            wanted += [facts.get("split_port"), facts.get("split_admin_port")]
        taken: dict[int, str] = {}
        for port in wanted:
            if isinstance(port, int) and not _bindable(port):
                who = ", ".join(f"pid {pid} ({processes.cmdline(pid)[:60]})"
                                for pid in processes.listeners([port]))
                taken[port] = who or "another program"
        return taken

    @staticmethod
    def _read(path: Path) -> str | None:
        try:
            return path.read_text("utf-8")
        except OSError:
            return None

    def _reload(self, instance: Instance, text: str, admin_port: int, generation: int
                ) -> str | None:
        """Swap ``text`` in and reload; on any failure the previous file is put back."""
        problem = self._test(instance, text)
        if problem:
            return f"nginx -t rejected the new config, old config kept: {problem}"
        master = self.master_pid(instance)
        if master is None:
            return f"the {instance.role} nginx is not running"
        previous = self._read(instance.conf)
        _write_config(instance.conf, text)
        old = {pid: processes.start_ticks(pid) for pid in processes.group_members(master)
               if pid != master}
        with contextlib.suppress(ProcessLookupError):
            os.kill(master, signal.SIGHUP)
        if self._wait_generation(admin_port, generation):
            if instance is self.split:
                self._retiring.update(old)
                self._wait_retired(self.verify_timeout)
            return None
        if previous is not None:
            with contextlib.suppress(OSError):
                write_text_atomic(instance.conf, previous)
        return (f"nginx reload failed, old config kept: generation {generation} never went "
                f"live (see {instance.error_log})")

    def apply(self, weights: Mapping[str, int], pinned: str | None = None) -> ApplyResult:
        """Test, swap in atomically, reload the split nginx, confirm it serves the new
        generation. On failure nginx keeps serving the old config (and the old file)."""
        started = time.monotonic()
        if self.master_pid(self.split) is None:
            return ApplyResult(False, 0, 0.0, "the split nginx is not running")
        live = self.actual()
        generation = max(_int(self._load().get("generation")),
                         live.generation if live else 0) + 1
        try:
            text = self._render_split(weights, generation, pinned)
            problem = self._reload(self.split, text, self._port_fact("split_admin_port"),
                                   generation)
        except OSError as exc:
            problem = f"cannot write the nginx config: {exc}"
        if problem:
            return ApplyResult(False, generation, time.monotonic() - started, problem)
        self._save(generation=generation, weights=dict(weights))
        return ApplyResult(True, generation, time.monotonic() - started, "reloaded")

    def _wait_retired(self, timeout: float) -> bool:
        """Wait until no worker of an older configuration accepts new requests: each one has
        exited or is shutting down. Only then does every new request meet the new weights."""
        deadline = time.monotonic() + timeout
        while True:
            accepting = [pid for pid, ticks in self._retiring.items()
                         if processes.is_alive(pid, ticks)
                         and _SHUTTING_DOWN not in processes.cmdline(pid)]
            if not accepting:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def drain(self, timeout: float) -> bool:
        """Wait until the split's old workers (still finishing requests started before the
        last reload) have exited, so the versions they talk to can be stopped."""
        deadline = time.monotonic() + timeout
        while True:
            self._retiring = {pid: ticks for pid, ticks in self._retiring.items()
                              if processes.is_alive(pid, ticks)}
            if not self._retiring:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def _stop_instance(self, instance: Instance, timeout: float) -> str | None:
        pid = self.master_pid(instance)
        if pid is None:
            return None
        ticks = processes.start_ticks(pid)
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
        if processes.wait_gone(pid, ticks, timeout):
            return (f"{instance.role} nginx (pid {pid}) quit gracefully in "
                    f"{time.monotonic() - started:.2f}s")
        # Its own session: the group is the master plus its workers, which would otherwise
        # outlive the master and keep the port.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        gone = processes.wait_gone(pid, ticks, 2.0)
        return (f"{instance.role} nginx (pid {pid}) did not quit within {timeout:g}s: "
                + ("killed" if gone else "STILL RUNNING after SIGKILL"))

    def stop(self, timeout: float = 5.0) -> str | None:
        """Graceful QUIT (the edge first: clients then get refused connections, not 502s),
        SIGKILL to a group that outlives ``timeout``, and any orphaned nginx of ours."""
        done = [line for line in (self._stop_instance(self.edge, timeout),
                                  self._stop_instance(self.split, timeout)) if line]
        killed = self._kill_orphans()
        if killed:
            done.append(f"stopped orphaned {', '.join(killed)}")
        return "; ".join(done) if done else None


def from_config(config: DeployConfig) -> NginxRouter:
    """The router of ``deploy.router_kinds`` named ``nginx``, from the deploy configuration."""
    return NginxRouter(config.work_dir, port=config.port, binary=config.nginx,
                       include=config.nginx_include, request_timeout=config.request_timeout)
