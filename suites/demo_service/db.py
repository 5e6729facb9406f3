"""PostgreSQL storage (psycopg 3) with the catalogue cached in Redis.

Items with stock, orders with lines; an order takes its stock in one transaction that locks
the items' rows, so two orders never both take the last unit. The schema is the SQL files of
``migrations/`` (applied by the test fixtures into their template, and by ``pyramid deploy``
before a release starts), never created here.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import redis

from demo_service.domain import Item, Line, PricedLine, Quote, price

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

MIGRATIONS = Path(__file__).with_name("migrations")

DEMO_ITEMS: tuple[tuple[str, int, int], ...] = (
    ("Espresso beans 1kg", 24_90, 500),
    ("Pour-over kettle", 39_00, 200),
    ("Ceramic mug", 9_50, 1_000),
    ("Paper filters x100", 4_20, 5_000),
)
#: the cached catalogue lives this long at most; every write moves to a new generation anyway
CACHE_TTL_S = 30
#: idle connections kept per process (a new PostgreSQL connection forks a backend: ~5 ms)
POOL_SIZE = 8


@dataclass(frozen=True)
class StoredOrder:
    id: int
    quote: Quote


class CatalogueCache:
    """The item list in Redis under a generation number: a write bumps the generation, so a
    reader that fetched the rows before the write stores them under the old, unread key
    (never a stale list under the current one)."""

    GENERATION = "shop:items:generation"

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)

    def _key(self, generation: int) -> str:
        return f"shop:items:{generation}"

    def generation(self) -> int:
        return int(self.client.get(self.GENERATION) or 0)

    def get(self, generation: int) -> list[Item] | None:
        raw = self.client.get(self._key(generation))
        return None if raw is None else [Item(*row) for row in json.loads(raw)]

    def put(self, generation: int, items: Sequence[Item]) -> None:
        rows = [[i.id, i.name, i.price_cents, i.stock] for i in items]
        self.client.set(self._key(generation), json.dumps(rows), ex=CACHE_TTL_S)

    def invalidate(self) -> None:
        self.client.incr(self.GENERATION)

    def close(self) -> None:
        self.client.close()


class Database:
    """The shop's data: a small pool of connections, safe across the server's threads."""

    def __init__(self, url: str, cache_url: str) -> None:
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection[Any]] = []
        self.url = url
        self.cache = CatalogueCache(cache_url)

    def bind(self, url: str, cache_url: str) -> None:
        """Use another database and cache from now on (a test's own, when the app outlives
        the test)."""
        self.close()
        self.url = url
        self.cache = CatalogueCache(cache_url)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        self.cache.close()

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection in autocommit mode; ``conn.transaction()`` for more than a statement."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        try:
            yield conn
        finally:
            self._release(conn)

    def _release(self, conn: psycopg.Connection[Any]) -> None:
        # back to the pool only when idle and whole (not broken, no transaction left open)
        idle = psycopg.pq.TransactionStatus.IDLE
        usable = not conn.closed and not conn.broken and conn.info.transaction_status == idle
        with self._lock:
            if usable and len(self._idle) < POOL_SIZE:
                self._idle.append(conn)
                return
        conn.close()

    def reset(self, items: Sequence[tuple[str, int, int]] = DEMO_ITEMS) -> None:
        """Empty every table and load ``items`` (ids 1..n), for tests and the demo."""
        with self.connect() as conn, conn.transaction():
            conn.execute("TRUNCATE order_lines, orders, items RESTART IDENTITY")
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO items (id, name, price_cents, stock) VALUES (%s, %s, %s, %s)",
                    [(i, *item) for i, item in enumerate(items, start=1)],
                )
        self.cache.invalidate()

    def set_stock(self, item_id: int, stock: int) -> None:
        with self.connect() as conn:
            conn.execute("UPDATE items SET stock = %s WHERE id = %s", (stock, item_id))
        self.cache.invalidate()

    def list_items(self) -> list[Item]:
        """The catalogue, from the cache when it holds the current generation."""
        generation = self.cache.generation()
        cached = self.cache.get(generation)
        if cached is not None:
            return cached
        with self.connect() as conn:
            rows = conn.execute("SELECT id, name, price_cents, stock FROM items ORDER BY id")
            items = [Item(*row) for row in rows]
        self.cache.put(generation, items)
        return items

    def get_item(self, item_id: int) -> Item | None:
        with self.connect() as conn:
            row = conn.execute(
                "SELECT id, name, price_cents, stock FROM items WHERE id = %s", (item_id,)
            ).fetchone()
        return Item(*row) if row else None

    def place_order(self, lines: Sequence[Line]) -> StoredOrder:
        """Price and store an order, taking its stock, in one transaction."""
        with self.connect() as conn, conn.transaction():
            # FOR UPDATE holds the items' rows until the commit, so a second order for the
            # last unit waits and then sees it gone; taken in id order, so two orders
            # never wait on each other
            rows = conn.execute(
                "SELECT id, name, price_cents, stock FROM items WHERE id = ANY(%s) "
                "ORDER BY id FOR UPDATE",
                (sorted({line.item_id for line in lines}),),
            ).fetchall()
            quote = price(lines, {row[0]: Item(*row) for row in rows})
            head = conn.execute(
                "INSERT INTO orders (total_cents, shipping_cents) VALUES (%s, %s) "
                "RETURNING id",
                (quote.total_cents, quote.shipping_cents),
            ).fetchone()
            assert head is not None  # INSERT ... RETURNING gives the row
            order_id = int(head[0])
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO order_lines (order_id, item_id, quantity, "
                    "unit_price_cents, discount_cents) VALUES (%s, %s, %s, %s, %s)",
                    [(order_id, line.item_id, line.quantity, line.unit_price_cents,
                      line.discount_cents) for line in quote.lines],
                )
                cursor.executemany(
                    "UPDATE items SET stock = stock - %s WHERE id = %s",
                    [(line.quantity, line.item_id) for line in quote.lines],
                )
        self.cache.invalidate()
        return StoredOrder(order_id, quote)

    def get_order(self, order_id: int) -> StoredOrder | None:
        with self.connect() as conn:
            head = conn.execute(
                "SELECT shipping_cents FROM orders WHERE id = %s", (order_id,)
            ).fetchone()
            if head is None:
                return None
            rows = conn.execute(
                "SELECT item_id, quantity, unit_price_cents, discount_cents FROM order_lines"
                " WHERE order_id = %s ORDER BY id",
                (order_id,),
            ).fetchall()
        return StoredOrder(order_id, Quote(tuple(PricedLine(*row) for row in rows), head[0]))
