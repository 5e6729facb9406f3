"""The repository against real PostgreSQL (its own database per test) and Redis."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import psycopg
import pytest
from demo_service.db import DEMO_ITEMS, Database
from demo_service.domain import Line, OutOfStock, UnknownItem

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_pyramid.toolkits.services.plugin import PostgresDatabase, RedisDatabase


@pytest.fixture
def db(pyramid_postgres: PostgresDatabase, pyramid_redis: RedisDatabase) -> Iterator[Database]:
    database = Database(pyramid_postgres.url, pyramid_redis.url)
    database.reset()
    yield database
    database.close()


def test_reset_loads_the_catalogue(db: Database) -> None:
    items = db.list_items()
    assert [(i.name, i.price_cents, i.stock) for i in items] == list(DEMO_ITEMS)
    assert [i.id for i in items] == list(range(1, len(DEMO_ITEMS) + 1))


def test_order_takes_stock_and_reads_back(db: Database) -> None:
    before = db.get_item(2)
    assert before is not None
    order = db.place_order([Line(2, 3), Line(3, 1)])
    after = db.get_item(2)
    assert after is not None
    assert after.stock == before.stock - 3
    stored = db.get_order(order.id)
    assert stored == order


def test_refused_order_changes_nothing(db: Database) -> None:
    db.set_stock(1, 2)
    with pytest.raises(OutOfStock):
        db.place_order([Line(2, 1), Line(1, 3)])
    with pytest.raises(UnknownItem):
        db.place_order([Line(2, 1), Line(99, 1)])
    assert db.get_item(2) == db.list_items()[1]
    assert db.list_items()[1].stock == DEMO_ITEMS[1][2]
    assert db.get_order(1) is None


def test_missing_rows_are_none(db: Database) -> None:
    assert db.get_item(999) is None
    assert db.get_order(999) is None


def test_last_unit_is_sold_once_under_concurrency(db: Database) -> None:
    db.set_stock(1, 1)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def buy() -> None:
        start.wait()
        try:
            db.place_order([Line(1, 1)])
            result = "sold"
        except OutOfStock:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["sold"]
    item = db.get_item(1)
    assert item is not None
    assert item.stock == 0


def test_reset_restarts_order_ids(db: Database) -> None:
    db.place_order([Line(1, 1)])
    db.reset()
    assert db.place_order([Line(1, 1)]).id == 1


def test_the_schema_refuses_what_the_shop_must_never_store(
    db: Database, pyramid_postgres: PostgresDatabase
) -> None:
    with pyramid_postgres.connect(autocommit=True) as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE items SET stock = -1 WHERE id = 1")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO items VALUES (9, %s, 100, 1)", (DEMO_ITEMS[0][0],))
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO order_lines (order_id, item_id, quantity, "
                         "unit_price_cents, discount_cents) VALUES (1, 1, 1, 100, 0)")


def test_a_failed_order_rolls_its_rows_back(
    db: Database, pyramid_postgres: PostgresDatabase
) -> None:
    # a line for item 2 passes pricing; the stock CHECK then refuses the row after the order
    # and its first line were written: the transaction takes all of it back
    with pyramid_postgres.connect(autocommit=True) as conn:
        conn.execute("ALTER TABLE items ADD CONSTRAINT few_kettles CHECK (id <> 2 OR stock > 150)")
    with pytest.raises(psycopg.errors.CheckViolation):
        db.place_order([Line(1, 1), Line(2, 60)])
    with pyramid_postgres.connect() as conn:
        counts = conn.execute("SELECT (SELECT count(*) FROM orders), "
                              "(SELECT count(*) FROM order_lines), "
                              "(SELECT stock FROM items WHERE id = 1)").fetchone()
    assert counts == (0, 0, DEMO_ITEMS[0][2])


def test_new_orders_get_the_time_they_were_placed(
    db: Database, pyramid_postgres: PostgresDatabase
) -> None:
    order = db.place_order([Line(1, 1)])
    with pyramid_postgres.connect() as conn:
        row = conn.execute("SELECT placed_at IS NOT NULL, placed_at <= now() FROM orders "
                           "WHERE id = %s", (order.id,)).fetchone()
    assert row == (True, True)


def test_the_catalogue_is_cached_until_a_write(
    db: Database, pyramid_postgres: PostgresDatabase, pyramid_redis: RedisDatabase
) -> None:
    first = db.list_items()
    # a change behind the shop's back is not seen: the list comes from Redis
    with pyramid_postgres.connect(autocommit=True) as conn:
        conn.execute("UPDATE items SET name = 'Renamed' WHERE id = 1")
    assert db.list_items() == first
    with pyramid_redis.client() as client:
        assert client.get("shop:items:generation") is not None
    # a write through the shop moves to a new generation: the next list is read afresh
    db.set_stock(2, 7)
    items = db.list_items()
    assert (items[0].name, items[1].stock) == ("Renamed", 7)
    order = db.place_order([Line(3, 2)])
    assert db.list_items()[2].stock == DEMO_ITEMS[2][2] - 2
    assert db.get_order(order.id) == order


def test_a_broken_connection_is_not_reused(db: Database) -> None:
    with db.connect() as conn:
        pid = conn.info.backend_pid
    with db.connect() as conn:
        assert conn.info.backend_pid == pid  # pooled
        with psycopg.connect(db.url) as killer:
            # with a timeout, it returns once the backend has exited (PostgreSQL 14+)
            killer.execute("SELECT pg_terminate_backend(%s, 60000)", (pid,))
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    assert db.list_items()
    with db.connect() as conn:
        assert conn.info.backend_pid != pid
