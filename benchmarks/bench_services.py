"""Services benchmark (run on demand, never as a test).

    python benchmarks/bench_services.py [--repeat 30] [--tables 20] [--workers 2]

With the distribution's PostgreSQL and Redis binaries (as ``pyramid_postgres`` /
``pyramid_redis`` find them):

1. start-up per worker: ``--workers`` PostgreSQL servers (initdb + start + first connection)
   and Redis servers started at the same time, as ``-n N`` workers start theirs; each one's
   seconds;
2. a test's database, median and p90 of ``--repeat``: cloned from the sealed template (what
   ``pyramid_postgres`` does; PostgreSQL 15's ``STRATEGY FILE_COPY``), side by side with
   ``WAL_LOG`` (PostgreSQL's default strategy) and with building the schema per test (an
   empty database, then the schema's SQL). The schema: ``--tables`` tables with a primary
   key, a foreign key, a check, an index and 50 rows each. Goal: clone median <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_pyramid.toolkits.services.plugin import _pg_config_bindir  # noqa: E402
from pytest_pyramid.toolkits.services.providers import (  # noqa: E402
    BINARIES,
    POSTGRES,
    REDIS,
    find,
)
from pytest_pyramid.toolkits.services.servers import (  # noqa: E402
    PostgresServer,
    RedisServer,
    start_postgres,
    start_redis,
)

GOAL_MS = 50.0


def schema_sql(tables: int) -> str:
    parts = ["CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL);",
             "INSERT INTO customers (email) SELECT 'c' || g || '@x' FROM generate_series(1, 50) g;"]
    for n in range(tables):
        parts.append(
            f"CREATE TABLE t{n} (id serial PRIMARY KEY, customer int NOT NULL REFERENCES "
            f"customers(id), qty int NOT NULL CHECK (qty > 0), note text, created timestamptz "
            f"DEFAULT now());\nCREATE INDEX t{n}_customer ON t{n} (customer);\n"
            f"INSERT INTO t{n} (customer, qty) SELECT g, g FROM generate_series(1, 50) g;"
        )
    return "\n".join(parts)


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    return f"median {statistics.median(ordered):7.1f} ms   p90 {p90:7.1f} ms"


def clone_with(server: PostgresServer, strategy: str) -> str:
    from psycopg import sql

    name = f"{server.prefix}{strategy.lower()}_{time.perf_counter_ns()}"
    with server.connect() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY {}").format(
            sql.Identifier(name), sql.Identifier(str(server.template)), sql.SQL(strategy)))
    return name


def schema_per_test(server: PostgresServer, text: str) -> str:
    from psycopg import sql

    name = f"{server.prefix}built_{time.perf_counter_ns()}"
    with server.connect() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with server.connect(name) as conn:
        conn.execute(text.encode())
    return name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    which = lambda name, path: shutil.which(name, path=path)  # noqa: E731
    pg = find(POSTGRES, (BINARIES,), os.environ, which=which, pg_config_bindir=_pg_config_bindir)
    rd = find(REDIS, (BINARIES,), os.environ, which=which)
    for service, found in ((POSTGRES, pg), (REDIS, rd)):
        if found.where is None:
            print(found.unavailable(service))
            return 2
    records = Path(tempfile.mkdtemp(prefix="bench-services-"))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"PostgreSQL from {pg.where}, Redis from {rd.where}")
    with ThreadPoolExecutor(args.workers * 2) as pool:
        pgs = list(pool.map(lambda _: start_postgres(str(pg.where), records), range(args.workers)))
        rds = list(pool.map(lambda _: start_redis(str(rd.where), records), range(args.workers)))
    servers: list[PostgresServer | RedisServer] = [*pgs, *rds]
    try:
        print(f"\n1. start-up per worker ({args.workers} at once)")
        for n, server in enumerate(pgs):
            print(f"   gw{n} postgres {server.startup_s:6.2f} s  ({server.describe()})")
        for n, server in enumerate(rds):
            print(f"   gw{n} redis    {server.startup_s:6.2f} s  ({server.describe()})")
        server = pgs[0]
        schema = Path(records, "schema.sql")
        text = schema_sql(args.tables)
        schema.write_text(text)
        server.build_template(schema)
        print(f"\n2. a test's database ({args.tables + 1} tables, {args.repeat} rounds; the "
              f"template was built once in {server.template_s * 1000:.0f} ms)")
        rows: dict[str, list[float]] = {
            "clone (FILE_COPY, used)": [], "clone (WAL_LOG)": [], "schema per test": []}
        for _ in range(args.repeat):
            for label, make in (
                ("clone (FILE_COPY, used)", server.clone),
                ("clone (WAL_LOG)", lambda: clone_with(server, "WAL_LOG")),
                ("schema per test", lambda: schema_per_test(server, text)),
            ):
                started = time.perf_counter()
                name = make()
                rows[label].append((time.perf_counter() - started) * 1000)
                server.drop(name)
        for label, samples in rows.items():
            print(f"   {label:24} {figures(samples)}")
        median = statistics.median(rows["clone (FILE_COPY, used)"])
        verdict = "met" if median <= GOAL_MS else "missed"
        print(f"\ngoal: clone median <= {GOAL_MS:.0f} ms: {verdict} ({median:.1f} ms)")
    finally:
        for each in servers:
            each.stop()
        shutil.rmtree(records, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
