"""The SQLite repository against a real database file."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from demo_service.db import DEMO_ITEMS, Database
from demo_service.domain import Line, OutOfStock, UnknownItem

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "shop.db")
    database.reset()
    return database


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
