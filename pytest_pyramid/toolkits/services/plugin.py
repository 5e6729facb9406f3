"""The fixtures ``pyramid_postgres`` and ``pyramid_redis`` (a pytest plugin).

Registered by :mod:`pytest_pyramid.toolkits.plugin` when a tier that uses them is selected
(``[tool.pyramid.services] tiers``; every tier when not set). Importing this module loads no
database driver: psycopg and redis-py are imported when a test first asks for a service.

- One server per process (each xdist worker its own, on a free loopback port), started on
  first use: its start-up is the set-up of the first test that asks, reported as such.
- PostgreSQL: the schema is built once per server into a sealed template; each test gets its
  own database cloned from it, dropped at teardown. Redis: the test's database is flushed
  before each test.
- No provider: the tests that ask error with every attempt named (never a skip), and the
  verdict's ``services`` section names the service that was missing.
- Every server is recorded under ``.pyramid/services/``; the controller (or the serial
  process) reaps at session start what a killed run left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import pytest

from pytest_pyramid.project import configured_folder
from pytest_pyramid.run.facts import FactsRecord, register_facts
from pytest_pyramid.run.stash import SETTINGS_KEY
from pytest_pyramid.toolkits.services.providers import (
    BINARIES,
    POSTGRES,
    REDIS,
    SCHEMA_USED,
    SCHEMA_VARIABLE,
    Found,
    ServicesSettings,
    find,
    parse_services,
)
from pytest_pyramid.toolkits.services.records import RECORDS_DIR
from pytest_pyramid.toolkits.services.selection import ServicesConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import psycopg
    import redis

    from pytest_pyramid.run.summary import Problem, RunSummary
    from pytest_pyramid.toolkits.services.servers import PostgresServer, RedisServer

#: what the template database is built from: SQL file(s), or a callable given its conninfo
Schema: TypeAlias = "Path | Callable[[str], object] | None"
PLUGIN_NAME = "pyramid-services"
FACTS_NAME = "services"
SERVICES_KEY = pytest.StashKey["ServicesState"]()


class ServicesFacts(FactsRecord):
    """What each process had: ``used`` (service: how), ``unavailable`` (service: why)."""

    POLICIES: ClassVar = {"used": "union", "unavailable": "union", "reaped": "union"}

    def __init__(self) -> None:
        self.used: list[str] = []
        self.unavailable: list[str] = []
        self.reaped: list[str] = []

    def problems(self) -> list[Problem]:
        # the tests that needed the service errored (never a pass); this names the service
        return [{"kind": "service_unavailable",
                 "message": f"{line} (the tests that need it errored)"}
                for line in sorted(set(self.unavailable))]


def services_settings(config: pytest.Config) -> ServicesSettings:
    """``[tool.pyramid.services]`` (defaults when the plugin is off or the table absent)."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None:
        return ServicesSettings()
    table = settings.raw.get("services", {})
    try:
        return parse_services(table, settings.tier_names, settings.source,
                              configured_folder(settings.source))
    except ServicesConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None


def _pg_config_bindir() -> str | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None


def _worker_index(config: pytest.Config) -> int:
    worker = getattr(config, "workerinput", {}).get("workerid", "gw0")
    digits = "".join(c for c in str(worker) if c.isdigit())
    return int(digits) if digits else 0


class ServicesState:
    """This process's servers: started once, on first use; their errors kept and repeated."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = services_settings(config)
        self.records = config.rootpath / RECORDS_DIR
        self.facts = ServicesFacts()
        self.servers: dict[str, PostgresServer | RedisServer] = {}
        self.errors: dict[str, str] = {}

    def locate(self, service: str) -> Found:
        return find(service, self.settings.providers[service], os.environ,
                    which=lambda name, path: shutil.which(name, path=path),
                    pg_config_bindir=_pg_config_bindir)

    def get(self, service: str, start: Callable[[Found], PostgresServer | RedisServer]) -> Any:
        if service in self.servers:
            return self.servers[service]
        if service not in self.errors:
            from pytest_pyramid.toolkits.services.servers import ServiceError

            found = self.locate(service)
            try:
                if found.provider is None:
                    raise ServiceError(found.unavailable(service))
                server = start(found)
            except Exception as exc:  # whatever stopped the server, the tests are told why
                said = str(exc) if isinstance(exc, ServiceError) else (
                    f"starting it raised {type(exc).__name__}: {exc}")
                self.errors[service] = said
                self.facts.unavailable.append(f"{service}: {said}")
            else:
                self.servers[service] = server
                # a start-up is the set-up of the first test that asked: said here as well
                worker = getattr(self.config, "workerinput", {}).get("workerid")
                where = f" on {worker}" if worker else ""
                self.facts.used.append(f"{service}: {server.describe()}; ready in "
                                       f"{server.startup_s:.2f} s{where}")
                return server
        pytest.fail(f"pyramid_{service}: {self.errors[service]}", pytrace=False)

    def stop_all(self) -> None:
        while self.servers:
            _, server = self.servers.popitem()
            server.stop()


def _state(config: pytest.Config) -> ServicesState:
    state = config.stash.get(SERVICES_KEY, None)
    if state is None:
        state = config.stash[SERVICES_KEY] = ServicesState(config)
    return state


def pytest_configure(config: pytest.Config) -> None:
    state = _state(config)
    from pytest_pyramid.run.session import facts_registry

    register_facts(facts_registry(config), FACTS_NAME, state.facts)


def pytest_sessionstart(session: pytest.Session) -> None:
    # the controller's (or serial process's) session start runs before any worker starts
    # a server, and a record whose owner lives is never touched: a concurrent run is safe
    if hasattr(session.config, "workerinput"):
        return
    from pytest_pyramid.run.imported import unrecorded
    from pytest_pyramid.toolkits.services.records import reap
    from pytest_pyramid.toolkits.services.servers import drop_databases

    state = _state(session.config)
    with unrecorded():  # the plugin's own records in its state folder, not a test's input
        state.facts.reaped.extend(reap(state.records, drop_databases))


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(SERVICES_KEY, None)
    if state is not None:
        state.stop_all()


@pytest.hookimpl(optionalhook=True)
def pytest_pyramid_verdict_sections(
    config: pytest.Config, run: RunSummary
) -> dict[str, object] | None:
    facts = _state(config).facts
    if not (facts.used or facts.unavailable):
        return None
    return {"services": {"used": sorted(set(facts.used)),
                         "unavailable": sorted(set(facts.unavailable))}}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    facts = _state(terminalreporter.config).facts
    if facts.reaped:
        terminalreporter.write_sep("-", "pyramid: reaped what a killed run left")
        for line in facts.reaped:
            terminalreporter.write_line(line)
    if facts.used:
        terminalreporter.write_sep("-", "pyramid: services (start-up: the first test's set-up)")
        for line in sorted(set(facts.used)):
            terminalreporter.write_line(line)
    if facts.unavailable:
        terminalreporter.write_sep("-", "pyramid: services that could not be had")
        for line in sorted(set(facts.unavailable)):
            terminalreporter.write_line(line)


# --- fixtures ------------------------------------------------------------------------------


@dataclass
class PostgresDatabase:
    """A test's own database, cloned from the template; dropped after the test."""

    server: PostgresServer
    name: str

    @property
    def url(self) -> str:
        return self.server.conninfo(self.name)

    def connect(self, **options: Any) -> psycopg.Connection[Any]:
        import psycopg

        return psycopg.connect(self.url, **options)


@dataclass
class RedisDatabase:
    """The test's Redis database, flushed before the test."""

    server: RedisServer

    @property
    def url(self) -> str:
        return self.server.url

    def client(self) -> redis.Redis:
        return self.server.client()


@pytest.fixture(scope="session")
def pyramid_postgres_schema(request: pytest.FixtureRequest) -> Schema:
    """What the template is built from: ``[tool.pyramid.services] postgres_schema`` (a SQL
    file or a folder of them). Override to return a path, or a callable given the template's
    connection string (to run migrations, e.g. Alembic). ``PYRAMID_POSTGRES_SCHEMA`` (set by
    ``pyramid deploy``'s schema check) replaces the configured path."""
    override = os.environ.get(SCHEMA_VARIABLE)
    return Path(override) if override else _state(request.config).settings.postgres_schema


def _start_postgres(state: ServicesState) -> Callable[[Found], PostgresServer]:
    from pytest_pyramid.toolkits.services.servers import postgres_from_url, start_postgres

    def start(found: Found) -> PostgresServer:
        assert found.where is not None
        if found.provider == BINARIES:
            return start_postgres(found.where, state.records)
        return postgres_from_url(found.where, state.records)

    return start


def _start_redis(state: ServicesState) -> Callable[[Found], RedisServer]:
    from pytest_pyramid.toolkits.services.servers import redis_from_url, start_redis

    def start(found: Found) -> RedisServer:
        assert found.where is not None
        if found.provider == BINARIES:
            return start_redis(found.where, state.records)
        return redis_from_url(found.where, _worker_index(state.config))

    return start


@pytest.fixture(scope="session")
def pyramid_postgres_server(
    request: pytest.FixtureRequest,
    pyramid_postgres_schema: Schema,
) -> Iterator[PostgresServer]:
    """This process's PostgreSQL server with the schema built into its sealed template."""
    from pytest_pyramid.toolkits.services.servers import ServiceError

    state = _state(request.config)
    override = os.environ.get(SCHEMA_VARIABLE)
    if override and pyramid_postgres_schema != Path(override):
        # a conftest's own pyramid_postgres_schema would build another schema than the one
        # asked for: the run must not pass as if it had tested that one
        pytest.fail(f"pyramid_postgres: {SCHEMA_VARIABLE}={override} is set, but this "
                    "project's pyramid_postgres_schema fixture builds the template itself "
                    f"({pyramid_postgres_schema!r}): it cannot be replaced", pytrace=False)
    server: PostgresServer = state.get(POSTGRES, _start_postgres(state))
    if server.template is None:
        try:
            server.build_template(pyramid_postgres_schema)
            if override:
                state.facts.used.append(f"{SCHEMA_USED}{override}")
        except ServiceError as exc:
            state.errors[POSTGRES] = str(exc)
            state.facts.unavailable.append(f"{POSTGRES}: {exc}")
            pytest.fail(f"pyramid_postgres: {exc}", pytrace=False)
    yield server
    state.servers.pop(POSTGRES, None)
    server.stop()


@pytest.fixture
def pyramid_postgres(pyramid_postgres_server: PostgresServer) -> Iterator[PostgresDatabase]:
    """A database of the test's own, cloned from the template (``.url``, ``.connect()``)."""
    database = PostgresDatabase(pyramid_postgres_server, pyramid_postgres_server.clone())
    yield database
    pyramid_postgres_server.drop(database.name)


@pytest.fixture(scope="session")
def pyramid_postgres_shared(
    pyramid_postgres_server: PostgresServer,
) -> Iterator[PostgresDatabase]:
    """One clone of the template per process, for ``pyramid_postgres_transaction``."""
    database = PostgresDatabase(pyramid_postgres_server, pyramid_postgres_server.clone())
    yield database
    pyramid_postgres_server.drop(database.name)


@pytest.fixture
def pyramid_postgres_transaction(
    pyramid_postgres_shared: PostgresDatabase,
) -> Iterator[psycopg.Connection[Any]]:
    """Opt-in, faster than a clone: a connection to the process's one clone whose work is
    rolled back after the test. Only for code that never commits on its own connection (a
    commit there would reach the next test): otherwise use ``pyramid_postgres``."""
    with pyramid_postgres_shared.connect() as conn:
        yield conn
        conn.rollback()


@pytest.fixture(scope="session")
def pyramid_redis_server(request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    """This process's Redis server (or its database on a URL's server)."""
    state = _state(request.config)
    server: RedisServer = state.get(REDIS, _start_redis(state))
    yield server
    state.servers.pop(REDIS, None)
    server.stop()


@pytest.fixture
def pyramid_redis(pyramid_redis_server: RedisServer) -> RedisDatabase:
    """The test's Redis database, empty (``.url``, ``.client()``)."""
    pyramid_redis_server.flush()
    return RedisDatabase(pyramid_redis_server)
