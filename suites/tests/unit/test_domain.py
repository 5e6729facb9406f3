"""Pricing rules, pinned down by tables."""

from __future__ import annotations

import pytest
from demo_service.domain import (
    BULK_QUANTITY,
    FREE_SHIPPING_CENTS,
    MAX_LINES,
    SHIPPING_CENTS,
    Item,
    Line,
    OrderError,
    OutOfStock,
    UnknownItem,
    line_discount,
    merge_lines,
    price,
    shipping_for,
    validate,
)

CATALOGUE = {
    1: Item(1, "Mug", 9_50, 30),
    2: Item(2, "Kettle", 39_00, 2),
    3: Item(3, "Filters", 4_20, 0),
}


@pytest.mark.parametrize(
    ("unit", "quantity", "expected"),
    [
        (1_000, 1, 0),
        (1_000, BULK_QUANTITY - 1, 0),
        (1_000, BULK_QUANTITY, 1_000),  # 10% of 10 x 10.00
        (999, BULK_QUANTITY, 999),
        (333, 11, 366),  # 366.3 rounded down: never give away a fraction of a cent
        (0, 50, 0),
    ],
)
def test_bulk_discount(unit: int, quantity: int, expected: int) -> None:
    assert line_discount(unit, quantity) == expected


@pytest.mark.parametrize(
    ("subtotal", "expected"),
    [(0, SHIPPING_CENTS), (FREE_SHIPPING_CENTS - 1, SHIPPING_CENTS), (FREE_SHIPPING_CENTS, 0)],
)
def test_shipping(subtotal: int, expected: int) -> None:
    assert shipping_for(subtotal) == expected


@pytest.mark.parametrize(
    ("lines", "merged"),
    [
        ([Line(1, 2)], [Line(1, 2)]),
        ([Line(1, 2), Line(2, 1), Line(1, 3)], [Line(1, 5), Line(2, 1)]),
        ([Line(2, 1), Line(1, 1)], [Line(2, 1), Line(1, 1)]),
    ],
)
def test_merge_lines_keeps_first_seen_order(lines: list[Line], merged: list[Line]) -> None:
    assert list(merge_lines(lines)) == merged


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one line"),
        ([Line(1, 1)] * (MAX_LINES + 1), f"at most {MAX_LINES} lines"),
        ([Line(1, 0)], "between 1 and 100, got 0"),
        ([Line(1, 101)], "got 101"),
    ],
)
def test_invalid_orders(lines: list[Line], message: str) -> None:
    with pytest.raises(OrderError, match=message):
        validate(lines)


@pytest.mark.parametrize(
    ("lines", "error", "code"),
    [
        ([Line(9, 1)], UnknownItem, "unknown_item"),
        ([Line(2, 3)], OutOfStock, "out_of_stock"),
        ([Line(3, 1)], OutOfStock, "out_of_stock"),
        ([Line(2, 2), Line(2, 1)], OutOfStock, "out_of_stock"),  # merged before the stock check
    ],
)
def test_price_refuses(lines: list[Line], error: type[OrderError], code: str) -> None:
    with pytest.raises(error) as caught:
        price(lines, CATALOGUE)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("lines", "subtotal", "shipping"),
    [
        ([Line(1, 1)], 9_50, SHIPPING_CENTS),
        ([Line(1, 10)], 85_50, 0),  # 95.00 less the 10% bulk discount, ships free
        ([Line(1, 4), Line(1, 6)], 85_50, 0),  # the discount applies to the merged line
        ([Line(1, 2), Line(2, 1)], 58_00, 0),
    ],
)
def test_price(lines: list[Line], subtotal: int, shipping: int) -> None:
    quote = price(lines, CATALOGUE)
    assert (quote.subtotal_cents, quote.shipping_cents) == (subtotal, shipping)
    assert quote.total_cents == subtotal + shipping
