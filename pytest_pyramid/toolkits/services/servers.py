"""PostgreSQL and Redis servers for tests: started on loopback, recorded, stopped; the sealed
template database and its per-test clones. psycopg 3 and redis-py are imported here only.

Why our own small executor and not pytest-postgresql's / pytest-redis's: their pytest
plugins are loaded by every pytest run once installed (~160 ms and ~80 ms of imports at
start-up here, and some 30 options the invocation allow-list would have to judge), and
PostgreSQLExecutor runs ``initdb`` as the current user, which ``initdb`` refuses for root (CI
runs as root here). The servers are the real binaries either way.
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pytest_pyramid.toolkits.services.providers import BINARIES, URL, redact
from pytest_pyramid.toolkits.services.records import (
    forget,
    process_start,
    write_record,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import psycopg
    import redis

#: how long a server may take to accept connections (a loaded CI machine is slow)
READY_TIMEOUT_S = 90.0
#: settings of a throw-away test server: durability is not what a test checks
POSTGRES_SETTINGS = (
    "fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=60",
)
#: GUCs whose stored value is a list and is given back as written (the others are quoted)
LIST_SETTINGS = frozenset({
    "search_path", "temp_tablespaces", "datestyle", "local_preload_libraries",
    "session_preload_libraries", "shared_preload_libraries", "log_destination",
})
BIND_RETRIES = 3
#: a memory file system for the data folder where there is one (Linux's /dev/shm): a clone
#: and its checkpoint then write to memory (benchmarks/bench_services.py: 10x on a busy disk)
MEMORY_FOLDER = Path("/dev/shm")


class ServiceError(Exception):
    """A service that could not be had, with what was tried and the server's own words."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_account() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root (``initdb`` refuses root): the
    distribution's ``postgres`` account, else ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise ServiceError("running as root, and neither a postgres nor a nobody account exists "
                       "to run PostgreSQL as (initdb refuses root)")


def _memory_folder() -> str | None:
    """``PYRAMID_SERVICES_TMPDIR`` if set, else /dev/shm when writable, else the temp dir."""
    chosen = os.environ.get("PYRAMID_SERVICES_TMPDIR")
    if chosen:
        return chosen
    if MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK | os.X_OK):
        return str(MEMORY_FOLDER)
    return None


def _log_tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty log)"


@dataclass
class LocalProcess:
    """A server process we started, its folder and its record."""

    process: subprocess.Popen[bytes]
    folder: Path
    record: Path
    log: Path

    def stop(self, grace_s: float = 30.0) -> None:
        if self.process.poll() is None:
            # SIGINT: PostgreSQL's fast shutdown; Redis shuts down on it as on SIGTERM
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        forget(self.record)


def _spawn(
    argv: list[str], *, folder: Path, log: Path, records: Path, kind: str, port: int,
    marker: str, account: tuple[int, int] | None = None,
) -> LocalProcess:
    """Start ``argv`` in a session of its own (a Ctrl-C in the terminal reaches pytest, which
    stops it in order) and record it before anything can kill its owner."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            user=account[0] if account else None, group=account[1] if account else None,
        )
    record = write_record(records, f"{kind}-{os.getpid()}-{port}", {
        "kind": kind, "pid": process.pid, "start": process_start(process.pid),
        "marker": marker, "folder": str(folder), "port": port,
    })
    return LocalProcess(process, folder, record, log)


def _wait_ready(
    local: LocalProcess, what: str, ping: Callable[[], object]
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if local.process.poll() is not None:
            raise ServiceError(f"{what} exited with status {local.process.returncode} before "
                               f"accepting connections:\n{_log_tail(local.log)}")
        try:
            ping()
            return
        except Exception as exc:  # not up yet: psycopg's / redis-py's connection errors
            if time.monotonic() > deadline:
                local.stop()
                raise ServiceError(f"{what} did not accept connections within "
                                   f"{READY_TIMEOUT_S:.0f} s ({exc}):\n"
                                   f"{_log_tail(local.log)}") from None
        time.sleep(0.05)


def _bind_failed(local: LocalProcess) -> bool:
    text = _log_tail(local.log, 40).lower()
    return local.process.poll() is not None and ("address already in use" in text
                                                 or "could not bind" in text)


# --- PostgreSQL ----------------------------------------------------------------------------


@dataclass
class PostgresServer:
    """One PostgreSQL server of this process (an xdist worker): ours, or a URL's."""

    url: str
    provider: str
    #: the binaries' folder, or the URL without its password
    where: str
    #: every database this process creates starts with it (reaped by it on a URL's server)
    prefix: str
    local: LocalProcess | None = None
    record: Path | None = None
    version: int = 0
    startup_s: float = 0.0
    template: str | None = None
    template_s: float = 0.0
    _count: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def conninfo(self, dbname: str) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.url, dbname=dbname)

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        import psycopg

        return psycopg.connect(self.conninfo(dbname), autocommit=True, connect_timeout=10)

    def describe(self) -> str:
        version = f"PostgreSQL {self.version // 10000}.{self.version % 10000}"
        return f"{version}, {self.provider}: {self.where}"

    # -- the sealed template, and its clones

    def build_template(self, schema: Path | Callable[[str], object] | None) -> None:
        """Build the schema once into a template nobody can connect to afterwards."""
        from psycopg import sql

        started = time.perf_counter()
        name = f"{self.prefix}template"
        with self.connect() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.template = name
        if callable(schema):
            schema(self.conninfo(name))
        elif schema is not None:
            files = sorted(schema.glob("*.sql")) if schema.is_dir() else [schema]
            with self.connect(name) as conn:
                for file in files:
                    try:
                        conn.execute(file.read_text().encode())
                    except Exception as exc:
                        raise ServiceError(f"the schema file {file} failed: {exc}") from None
        with self.connect() as admin:
            admin.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true "
                                  "ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
        self.template_s = time.perf_counter() - started

    def clone(self) -> str:
        """A new database from the template, its database-level settings copied too
        (``CREATE DATABASE ... TEMPLATE`` copies the contents, not ``ALTER DATABASE SET``)."""
        from psycopg import sql

        if self.template is None:
            raise ServiceError("no template database was built")
        name = f"{self.prefix}{next(self._count)}"
        # FILE_COPY (PostgreSQL 15+) copies the small template's files instead of WAL-logging
        # every block: the faster strategy for test-sized databases (benchmarks/bench_services)
        strategy = sql.SQL(" STRATEGY FILE_COPY") if self.version >= 150000 else sql.SQL("")
        with self.connect() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(self.template)) + strategy)
            rows = admin.execute(
                "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d "
                "ON d.oid = s.setdatabase WHERE d.datname = %s AND s.setrole = 0",
                (self.template,),
            ).fetchall()
            for (setting,) in rows:
                key, _, value = str(setting).partition("=")
                shown = sql.SQL(value) if key.lower() in LIST_SETTINGS else sql.Literal(value)
                admin.execute(sql.SQL("ALTER DATABASE {} SET {} TO ").format(
                    sql.Identifier(name), sql.Identifier(key)) + shown)
        return name

    def drop(self, name: str) -> None:
        from psycopg import sql

        with self.connect() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()
            return
        # a URL's server outlives us: drop what this process created on it
        drop_databases(self.url, self.prefix)
        if self.record is not None:
            forget(self.record)


def drop_databases(url: str, prefix: str) -> int:
    """Drop every database whose name starts with ``prefix`` on ``url``'s server."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as admin:
        names = [row[0] for row in admin.execute(
            "SELECT datname FROM pg_database WHERE left(datname, length(%s)) = %s",
            (prefix, prefix)).fetchall()]
        for name in names:
            admin.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(
                sql.Identifier(name)))
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
    return len(names)


def _prefix() -> str:
    # the pid says whose; the token keeps two machines' pids apart on one CI server
    return f"pyramid_{os.getpid()}_{secrets.token_hex(3)}_"


def postgres_from_url(url: str, records: Path) -> PostgresServer:
    server = PostgresServer(url=url, provider=URL, where=redact(url), prefix=_prefix())
    started = time.perf_counter()
    server.record = write_record(records, f"postgres-db-{os.getpid()}-{server.prefix}", {
        "kind": "postgres databases", "url": url, "prefix": server.prefix,
    })
    try:
        with server.connect(_url_dbname(url)) as conn:
            server.version = conn.info.server_version
    except Exception as exc:
        forget(server.record)
        raise ServiceError(f"the PostgreSQL server at {redact(url)} refused: {exc}") from None
    server.startup_s = time.perf_counter() - started
    return server


def _url_dbname(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url).get("dbname") or "postgres")


def start_postgres(bindir: str, records: Path) -> PostgresServer:
    """initdb and a ``postgres`` of our own on a free loopback port (retried on a port
    another process took meanwhile)."""
    started = time.perf_counter()
    account = _server_account()
    folder = Path(tempfile.mkdtemp(prefix="pyramid-pg-", dir=_memory_folder()))
    data = folder / "data"
    log = folder / "postgres.log"
    if account is not None:
        os.chown(folder, *account)
    initdb = [str(Path(bindir, "initdb")), "-D", str(data), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]
    result = subprocess.run(initdb, capture_output=True, text=True, check=False,
                            user=account[0] if account else None,
                            group=account[1] if account else None,
                            env={**os.environ, "LC_ALL": "C", "LANG": "C"})
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise ServiceError(f"initdb ({bindir}) failed with status {result.returncode}: "
                           f"{(result.stderr or result.stdout).strip()[-800:]}")
    for attempt in range(BIND_RETRIES):
        port = free_port()
        argv = [str(Path(bindir, "postgres")), "-D", str(data), "-p", str(port),
                "-k", str(folder), "-c", "listen_addresses=127.0.0.1"]
        for setting in POSTGRES_SETTINGS:
            argv += ["-c", setting]
        local = _spawn(argv, folder=folder, log=log, records=records, kind="postgres",
                       port=port, marker=str(data), account=account)
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        server = PostgresServer(url=url, provider=BINARIES, where=bindir, prefix=_prefix(),
                                local=local)
        try:
            _wait_ready(local, f"postgres ({bindir}) on 127.0.0.1:{port}",
                        lambda s=server: s.connect().close())  # type: ignore[misc]
        except ServiceError:
            if attempt + 1 < BIND_RETRIES and _bind_failed(local):
                forget(local.record)
                continue
            local.stop()
            raise
        with server.connect() as conn:
            server.version = conn.info.server_version
        server.startup_s = time.perf_counter() - started
        return server
    raise AssertionError("unreachable")  # pragma: no cover


# --- Redis ---------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """One Redis server of this process, and the database number its tests use."""

    url: str
    provider: str
    where: str
    db: int = 0
    local: LocalProcess | None = None
    version: str = ""
    startup_s: float = 0.0

    def client(self) -> redis.Redis:
        import redis

        return redis.Redis.from_url(self.url)

    def describe(self) -> str:
        return f"Redis {self.version}, {self.provider}: {self.where} (db {self.db})"

    def flush(self) -> None:
        with self.client() as client:
            client.flushdb()

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()


def redis_from_url(url: str, worker: int) -> RedisServer:
    """A URL's server, shared by every worker: each xdist worker gets a database number of
    its own (the URL's, plus the worker's index), flushed before each test."""
    import redis

    base = redis.Redis.from_url(url)
    db = int(base.connection_pool.connection_kwargs.get("db", 0) or 0) + worker
    if db > 15:
        raise ServiceError(f"the Redis server at {redact(url)}: worker {worker} would need "
                           f"database {db}, past Redis's default 16 (0-15)")
    # the worker's database in the URL itself: redis-py takes a URL's database over db=
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "db"])
    own = urlunsplit((parts.scheme, parts.netloc, f"/{db}", query, parts.fragment))
    server = RedisServer(url=own, provider=URL, where=redact(own), db=db)
    started = time.perf_counter()
    try:
        with server.client() as client:
            server.version = str(client.info("server").get("redis_version", "?"))
    except Exception as exc:
        raise ServiceError(f"the Redis server at {redact(url)} refused: {exc}") from None
    server.startup_s = time.perf_counter() - started
    return server


def start_redis(bindir: str, records: Path) -> RedisServer:
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="pyramid-redis-"))
    log = folder / "redis.log"
    for attempt in range(BIND_RETRIES):
        port = free_port()
        argv = [str(Path(bindir, "redis-server")), "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(folder), "--daemonize", "no",
                "--protected-mode", "yes"]
        # Redis rewrites its command line to "redis-server 127.0.0.1:PORT": that is the marker
        local = _spawn(argv, folder=folder, log=log, records=records, kind="redis", port=port,
                       marker=f"127.0.0.1:{port}")
        server = RedisServer(url=f"redis://127.0.0.1:{port}/0", provider=BINARIES,
                             where=bindir, local=local)
        try:
            _wait_ready(local, f"redis-server ({bindir}) on 127.0.0.1:{port}",
                        lambda s=server: s.client().ping())  # type: ignore[misc]
        except ServiceError:
            if attempt + 1 < BIND_RETRIES and _bind_failed(local):
                forget(local.record)
                continue
            local.stop()
            raise
        with server.client() as client:
            server.version = str(client.info("server").get("redis_version", "?"))
        server.startup_s = time.perf_counter() - started
        return server
    raise AssertionError("unreachable")  # pragma: no cover
