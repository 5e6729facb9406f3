"""The client's JSON-to-dataclass mapping and the page's money format."""

from __future__ import annotations

import httpx
import pytest
from demo_service.app import money
from demo_service.client import (
    ClientError,
    Item,
    Order,
    OrderLine,
    OutOfStockError,
    ShopClient,
    _item,
    _order,
)


def test_item_from_json() -> None:
    data = {"id": 1, "name": "Mug", "price_cents": 950, "stock": 3}
    assert _item(data) == Item(1, "Mug", 950, 3)


def test_order_from_json() -> None:
    data = {
        "id": 7,
        "lines": [{"item_id": 1, "quantity": 10, "unit_price_cents": 950,
                   "discount_cents": 950, "total_cents": 8550}],
        "shipping_cents": 0,
        "total_cents": 8550,
    }
    assert _order(data) == Order(7, (OrderLine(1, 10, 950, 950, 8550),), 0, 8550)


@pytest.mark.parametrize(("cents", "text"), [(0, "$0.00"), (5, "$0.05"), (950, "$9.50"),
                                             (123_456, "$1234.56")])
def test_money(cents: int, text: str) -> None:
    assert money(cents) == text


@pytest.mark.parametrize(
    ("response", "error", "detail"),
    [
        (httpx.Response(502, text="bad gateway"), ClientError, "bad gateway"),
        (httpx.Response(409, json={"detail": "only 1 left"}), OutOfStockError, "only 1 left"),
        (httpx.Response(422, json={"detail": [{"msg": "x"}]}), ClientError, "[{'msg': 'x'}]"),
    ],
)
def test_error_responses(response: httpx.Response, error: type[ClientError], detail: str) -> None:
    with ShopClient("http://127.0.0.1:9") as client, pytest.raises(error) as caught:
        client._check(response)
    assert (caught.value.status, caught.value.detail) == (response.status_code, detail)
