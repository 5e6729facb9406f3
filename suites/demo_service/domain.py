"""Pricing and order rules, free of I/O so unit tests can pin them down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

MAX_LINES = 20
MAX_QUANTITY = 100
#: Buying at least this many of one item earns the bulk discount on that line.
BULK_QUANTITY = 10
BULK_DISCOUNT_PERCENT = 10
#: Orders at or above this subtotal ship for free; below it shipping costs SHIPPING_CENTS.
FREE_SHIPPING_CENTS = 50_00
SHIPPING_CENTS = 4_99


class OrderError(Exception):
    """An order the shop cannot accept; ``code`` says why, for the API's status code."""

    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownItem(OrderError):
    code = "unknown_item"


class OutOfStock(OrderError):
    code = "out_of_stock"


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    price_cents: int
    stock: int


@dataclass(frozen=True)
class Line:
    item_id: int
    quantity: int


@dataclass(frozen=True)
class PricedLine:
    item_id: int
    quantity: int
    unit_price_cents: int
    discount_cents: int

    @property
    def total_cents(self) -> int:
        return self.unit_price_cents * self.quantity - self.discount_cents


@dataclass(frozen=True)
class Quote:
    lines: tuple[PricedLine, ...]
    shipping_cents: int

    @property
    def subtotal_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.shipping_cents


def merge_lines(lines: Sequence[Line]) -> tuple[Line, ...]:
    """One line per item, quantities added, in first-seen order (so discounts apply per item)."""
    totals: dict[int, int] = {}
    for line in lines:
        totals[line.item_id] = totals.get(line.item_id, 0) + line.quantity
    return tuple(Line(item_id, quantity) for item_id, quantity in totals.items())


def line_discount(unit_price_cents: int, quantity: int) -> int:
    """Bulk discount in cents, rounded down so the shop never gives away a fraction."""
    if quantity < BULK_QUANTITY:
        return 0
    return unit_price_cents * quantity * BULK_DISCOUNT_PERCENT // 100


def shipping_for(subtotal_cents: int) -> int:
    return 0 if subtotal_cents >= FREE_SHIPPING_CENTS else SHIPPING_CENTS


def validate(lines: Sequence[Line]) -> tuple[Line, ...]:
    if not lines:
        raise OrderError("an order needs at least one line")
    if len(lines) > MAX_LINES:
        raise OrderError(f"an order has at most {MAX_LINES} lines")
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise OrderError(f"quantity must be between 1 and {MAX_QUANTITY}, got {line.quantity}")
    return merge_lines(lines)


def price(lines: Sequence[Line], catalogue: Mapping[int, Item]) -> Quote:
    """Price validated lines against the catalogue, checking stock."""
    priced: list[PricedLine] = []
    for line in validate(lines):
        item = catalogue.get(line.item_id)
        if item is None:
            raise UnknownItem(f"item {line.item_id} does not exist")
        if line.quantity > item.stock:
            raise OutOfStock(f"only {item.stock} of {item.name!r} left, asked for {line.quantity}")
        priced.append(
            PricedLine(
                item.id, line.quantity, item.price_cents,
                line_discount(item.price_cents, line.quantity),
            )
        )
    subtotal = sum(line.total_cents for line in priced)
    return Quote(tuple(priced), shipping_for(subtotal))
