"""pyramid_postgres and pyramid_redis with real servers (the distribution's binaries, or a URL),
in real pytest runs, serial and under ``-n 2``: per-test databases cloned from the template,
database-level settings copied, nothing left behind, and no provider never a pass."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.toolkits.services.records import alive, process_start

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_pyramid.toolkits.services.servers import PostgresServer
    from tests.conftest import MakeProject, ReadVerdict

needs_binaries = pytest.mark.skipif(
    shutil.which("redis-server") is None
    or not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
    reason="PostgreSQL and Redis from apt (./dev setup installs them)",
)
pytestmark = needs_binaries

SERVICES = """
    [tool.pyramid.tiers.integration]
    paths = ["tests"]
    [tool.pyramid.services]
    tiers = ["integration"]
    postgres_schema = "db"
"""
CONFTEST = 'pytest_plugins = ["pytest_pyramid.toolkits.plugin"]\n'
SCHEMA = """
    CREATE SCHEMA app;
    CREATE TABLE app.orders (id serial PRIMARY KEY, qty int NOT NULL CHECK (qty > 0));
    -- database-level settings: CREATE DATABASE ... TEMPLATE does not copy them by itself
    DO $$ BEGIN
      EXECUTE format('ALTER DATABASE %I SET search_path TO app, public', current_database());
      EXECUTE format('ALTER DATABASE %I SET statement_timeout TO %L', current_database(), '5s');
    END $$;
"""
TESTS = """
    import os
    import psycopg
    import pytest

    def note(request, name, value):
        root = request.config.rootpath / "notes"
        root.mkdir(exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (root / f"{name}-{worker}-{os.getpid()}").write_text(str(value))

    @pytest.mark.parametrize("n", range(4))
    def test_own_database(pyramid_postgres, pyramid_postgres_server, request, n):
        note(request, "pg", pyramid_postgres_server.local.process.pid)
        note(request, "folder", pyramid_postgres_server.local.folder)
        with pyramid_postgres.connect(autocommit=True) as conn:
            # the clone starts as the template: empty, whatever the other tests wrote
            assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
            conn.execute("INSERT INTO orders (qty) VALUES (%s)", (n + 1,))
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute("INSERT INTO orders (qty) VALUES (0)")
            assert conn.execute("SHOW statement_timeout").fetchone()[0] == "5s"
            assert conn.execute("SHOW search_path").fetchone()[0] == "app, public"
            with pytest.raises(psycopg.errors.UndefinedTable):  # transactions roll back
                with conn.transaction():
                    conn.execute("INSERT INTO orders (qty) VALUES (7)")
                    conn.execute("SELECT * FROM missing")
            assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 1

    @pytest.mark.parametrize("n", range(3))
    def test_rolled_back(pyramid_postgres_transaction, n):
        conn = pyramid_postgres_transaction
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
        conn.execute("INSERT INTO orders (qty) VALUES (1)")

    @pytest.mark.parametrize("n", range(4))
    def test_own_redis(pyramid_redis, pyramid_redis_server, request, n):
        note(request, "redis", pyramid_redis_server.local.process.pid)
        with pyramid_redis.client() as client:
            assert client.dbsize() == 0
            client.set("order", n)
            assert client.incr("order") == n + 1
"""


def notes(folder: Path, name: str) -> list[str]:
    return [p.read_text() for p in (folder / "notes").glob(f"{name}-*")]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_real_servers_one_per_worker_a_database_per_test(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: list[str],
) -> None:
    make_project(SERVICES, **{"conftest.py": CONFTEST, "db/001_orders.sql": SCHEMA,
                             "tests/test_db.py": TESTS})
    result = pytester.runpytest_subprocess(*workers)
    result.assert_outcomes(passed=11)
    verdict = read_verdict()
    assert verdict["decision"] == "ready"
    used = verdict["services"]["used"]
    assert any(u.startswith("postgres: PostgreSQL ") for u in used)
    assert any(u.startswith("redis: Redis ") for u in used)
    assert verdict["services"]["unavailable"] == []
    processes = {(n, p) for n in ("pg", "redis") for p in notes(pytester.path, n)}
    # one server of each per process that ran tests (xdist: each worker its own)
    assert len({p for n, p in processes if n == "pg"}) == (2 if workers else 1)
    # stopped, their folders and records gone: nothing left behind
    assert not any(Path(f"/proc/{pid}").exists() for _, pid in processes)
    assert not any(Path(folder).exists() for folder in notes(pytester.path, "folder"))
    assert list((pytester.path / ".pyramid" / "services").glob("*.json")) == []


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_no_provider_errors_naming_every_attempt_and_is_never_a_pass(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYRAMID_POSTGRES_URL", raising=False)
    make_project(
        SERVICES + 'postgres_providers = ["url"]\n',
        **{"conftest.py": CONFTEST, "db/001_orders.sql": SCHEMA,
           "tests/test_db.py": """
               def test_one(pyramid_postgres):
                   pass

               def test_two(pyramid_postgres):
                   pass

               def test_other():
                   pass
           """},
    )
    result = pytester.runpytest_subprocess(*workers)
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines([
        "*pyramid_postgres: no postgres server could be had: tried url: PYRAMID_POSTGRES_URL "
        "is not set*",
    ])
    verdict = read_verdict()
    assert verdict["decision"] != "ready"
    assert verdict["services"]["unavailable"] == [
        "postgres: no postgres server could be had: tried url: PYRAMID_POSTGRES_URL is not set"
    ]
    assert verdict["tiers"]["integration"]["errors"] == 2
    assert {"kind": "service_unavailable", "message": "postgres: no postgres server could be "
            "had: tried url: PYRAMID_POSTGRES_URL is not set (the tests that need it errored)"
            } in verdict["completeness"]


def test_a_url_that_refuses_is_an_error_not_a_silent_fall_back(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The team pointed the tests at a server: when it refuses, the binaries are not started
    in its place (that would test against another server than the one configured)."""
    from pytest_pyramid.toolkits.services.servers import free_port

    monkeypatch.setenv("PYRAMID_POSTGRES_URL",
                       f"postgresql://app:secret@127.0.0.1:{free_port()}/shop")
    make_project(SERVICES, **{"conftest.py": CONFTEST, "db/001.sql": SCHEMA,
                             "tests/test_db.py": "def test_db(pyramid_postgres):\n    pass\n"})
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pyramid_postgres: the PostgreSQL server at "
                                 "postgresql://app:***@127.0.0.1:*/shop refused*"])
    assert "secret" not in result.stdout.str()
    verdict = read_verdict()
    assert verdict["decision"] != "ready"
    assert [p["kind"] for p in verdict["completeness"]].count("service_unavailable") == 1


@pytest.fixture(scope="module")
def outside_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL standing in for a CI service (started as the fixtures start theirs).
    One per module, as a CI service outlives the runs that use it: each test asserts the
    server holds none of the fixtures' databases after its run, so a run that left one
    fails there whichever test ran first (a start is 1.4 s of a CI worker)."""
    from pytest_pyramid.toolkits.services.servers import start_postgres

    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    server = start_postgres(str(bindir), tmp_path_factory.mktemp("outside") / "records")
    yield server
    server.stop()


def pyramid_databases(server: PostgresServer) -> list[str]:
    with server.connect() as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'pyramid%'")
        return [row[0] for row in rows.fetchall()]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_url_provider_like_a_ci_service_leaves_no_database(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: list[str], outside_server: PostgresServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYRAMID_POSTGRES_URL", outside_server.url)
    make_project(SERVICES, **{"conftest.py": CONFTEST, "db/001_orders.sql": SCHEMA,
                             "tests/test_db.py": """
                                 import pytest

                                 @pytest.mark.parametrize("n", range(3))
                                 def test_db(pyramid_postgres, pyramid_postgres_server, n):
                                     assert pyramid_postgres_server.provider == "url"
                                     with pyramid_postgres.connect() as conn:
                                         conn.execute("INSERT INTO orders (qty) VALUES (1)")
                             """})
    result = pytester.runpytest_subprocess(*workers)
    result.assert_outcomes(passed=3)
    verdict = read_verdict()
    assert verdict["decision"] == "ready"
    port = outside_server.url.rsplit(":", 1)[1].split("/")[0]
    assert any(f"url: postgresql://postgres@127.0.0.1:{port}" in u
               for u in verdict["services"]["used"])
    assert pyramid_databases(outside_server) == []


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_redis_url_gives_each_worker_its_own_database(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
    workers: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    from pytest_pyramid.toolkits.services.servers import start_redis

    outside = start_redis(str(Path(str(shutil.which("redis-server"))).parent), tmp_path)
    try:
        monkeypatch.setenv("PYRAMID_REDIS_URL", outside.url.replace("/0", "/3"))
        make_project(SERVICES, **{"conftest.py": CONFTEST, "db/001.sql": SCHEMA,
                                 "tests/test_r.py": """
                                     import os
                                     import pytest

                                     @pytest.mark.parametrize("n", range(4))
                                     def test_r(pyramid_redis, request, n):
                                         with pyramid_redis.client() as r:
                                             assert r.dbsize() == 0
                                             r.set("n", n)
                                         db = pyramid_redis.server.db
                                         (request.config.rootpath / f"db-{db}").write_text("")
                                 """})
        result = pytester.runpytest_subprocess(*workers)
        result.assert_outcomes(passed=4)
        verdict = read_verdict()
        assert verdict["decision"] == "ready"
        assert any("redis: Redis 7" in u and "url: redis://127.0.0.1" in u
                   for u in verdict["services"]["used"])
        # the URL's database 3, plus each worker's index: never two workers on one database
        assert sorted(p.name for p in pytester.path.glob("db-*")) == (
            ["db-3", "db-4"] if workers else ["db-3"])
    finally:
        outside.stop()


def test_a_bad_schema_is_an_error_with_the_servers_words(
    pytester: pytest.Pytester, make_project: MakeProject, read_verdict: ReadVerdict,
) -> None:
    make_project(SERVICES, **{"conftest.py": CONFTEST,
                             "db/001.sql": "CREATE TABLE orders (id serial PRIMARY KEY);\n",
                             "db/002.sql": "ALTER TABLE order ADD COLUMN qty int;\n",
                             "tests/test_db.py": "def test_db(pyramid_postgres):\n    pass\n"})
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pyramid_postgres: the schema file *002.sql failed: "
                                 "syntax error at or near \"order\"*"])
    verdict = read_verdict()
    assert verdict["decision"] != "ready"
    assert [p["kind"] for p in verdict["completeness"]].count("service_unavailable") == 1


def test_services_are_not_registered_for_a_tier_that_does_not_use_them(
    pytester: pytest.Pytester, make_project: MakeProject,
) -> None:
    make_project(
        """
        [tool.pyramid.tiers.unit]
        paths = ["tests/unit"]
        [tool.pyramid.tiers.integration]
        paths = ["tests/integration"]
        [tool.pyramid.services]
        tiers = ["integration"]
        """,
        **{"conftest.py": CONFTEST,
           "tests/unit/test_u.py": """
               import sys

               def test_u(request):
                   registered = request.config.pluginmanager.has_plugin("pyramid-services")
                   drivers = {"psycopg", "redis"} & set(sys.modules)
                   (request.config.rootpath / "seen").write_text(f"{registered} {sorted(drivers)}")
           """,
           "tests/integration/test_i.py": "def test_i():\n    pass\n"},
    )
    pytester.runpytest_subprocess("--pyramid-tier=unit").assert_outcomes(passed=1)
    assert (pytester.path / "seen").read_text() == "False []"
    pytester.runpytest_subprocess().assert_outcomes(passed=2)
    assert (pytester.path / "seen").read_text() == "True []"  # registered, nothing imported


def test_a_process_is_named_by_pid_and_start_time() -> None:
    me = os.getpid()
    assert alive(me, process_start(me))
    assert not alive(me, "0")
    assert process_start(2**22 + 1) is None
