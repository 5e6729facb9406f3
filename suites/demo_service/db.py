"""SQLite storage: items with stock, orders with lines; stock is reserved atomically."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from demo_service.domain import Item, Line, PricedLine, Quote, price

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    stock INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    total_cents INTEGER NOT NULL,
    shipping_cents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS order_lines (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    item_id INTEGER NOT NULL REFERENCES items(id),
    quantity INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    discount_cents INTEGER NOT NULL
);
"""

DEMO_ITEMS: tuple[tuple[str, int, int], ...] = (
    ("Espresso beans 1kg", 24_90, 500),
    ("Pour-over kettle", 39_00, 200),
    ("Ceramic mug", 9_50, 1_000),
    ("Paper filters x100", 4_20, 5_000),
)


@dataclass(frozen=True)
class StoredOrder:
    id: int
    quote: Quote


class Database:
    """One file; a connection per operation keeps it safe across server threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        finally:
            conn.close()

    def create_schema(self) -> None:
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(SCHEMA)

    def reset(self, items: Sequence[tuple[str, int, int]] = DEMO_ITEMS) -> None:
        """Empty every table and load ``items`` (ids 1..n), for tests and the demo."""
        self.create_schema()
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM order_lines")
            conn.execute("DELETE FROM orders")
            conn.execute("DELETE FROM items")
            conn.execute("DELETE FROM sqlite_sequence WHERE name = 'orders'")
            conn.executemany(
                "INSERT INTO items (id, name, price_cents, stock) VALUES (?, ?, ?, ?)",
                [(i, *item) for i, item in enumerate(items, start=1)],
            )
            conn.execute("COMMIT")

    def set_stock(self, item_id: int, stock: int) -> None:
        with self.connect() as conn:
            conn.execute("UPDATE items SET stock = ? WHERE id = ?", (stock, item_id))

    def list_items(self) -> list[Item]:
        with self.connect() as conn:
            rows = conn.execute("SELECT id, name, price_cents, stock FROM items ORDER BY id")
            return [Item(*row) for row in rows]

    def get_item(self, item_id: int) -> Item | None:
        with self.connect() as conn:
            row = conn.execute(
                "SELECT id, name, price_cents, stock FROM items WHERE id = ?", (item_id,)
            ).fetchone()
        return Item(*row) if row else None

    def place_order(self, lines: Sequence[Line]) -> StoredOrder:
        """Price and store an order, taking its stock, in one write transaction."""
        with self.connect() as conn:
            # IMMEDIATE takes the write lock before reading stock, so two orders cannot both
            # take the last unit.
            conn.execute("BEGIN IMMEDIATE")
            try:
                catalogue: dict[int, Item] = {}
                for item_id in {line.item_id for line in lines}:
                    row = conn.execute(
                        "SELECT id, name, price_cents, stock FROM items WHERE id = ?", (item_id,)
                    ).fetchone()
                    if row is not None:
                        catalogue[item_id] = Item(*row)
                quote = price(lines, catalogue)
                cursor = conn.execute(
                    "INSERT INTO orders (total_cents, shipping_cents) VALUES (?, ?)",
                    (quote.total_cents, quote.shipping_cents),
                )
                order_id = cursor.lastrowid
                if order_id is None:  # sqlite3 sets it after every INSERT into a rowid table
                    raise RuntimeError("SQLite returned no id for the new order")
                for line in quote.lines:
                    conn.execute(
                        "INSERT INTO order_lines VALUES (?, ?, ?, ?, ?)",
                        (order_id, line.item_id, line.quantity, line.unit_price_cents,
                         line.discount_cents),
                    )
                    conn.execute(
                        "UPDATE items SET stock = stock - ? WHERE id = ?",
                        (line.quantity, line.item_id),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return StoredOrder(order_id, quote)

    def get_order(self, order_id: int) -> StoredOrder | None:
        with self.connect() as conn:
            head = conn.execute(
                "SELECT shipping_cents FROM orders WHERE id = ?", (order_id,)
            ).fetchone()
            if head is None:
                return None
            rows = conn.execute(
                "SELECT item_id, quantity, unit_price_cents, discount_cents FROM order_lines"
                " WHERE order_id = ? ORDER BY rowid",
                (order_id,),
            ).fetchall()
        return StoredOrder(order_id, Quote(tuple(PricedLine(*row) for row in rows), head[0]))
