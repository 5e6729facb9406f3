"""The HTTP API through the typed client, against the running app on PostgreSQL and Redis."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest
from demo_service.client import ClientError, OutOfStockError, ShopClient

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_pyramid.toolkits.live_server import LiveServer


@pytest.fixture
def client(shop: LiveServer) -> Iterator[ShopClient]:
    with ShopClient(shop.url) as shop_client:
        yield shop_client


def test_catalogue(client: ShopClient) -> None:
    items = client.list_items()
    assert len(items) == 4
    assert client.get_item(items[0].id) == items[0]


def test_unknown_item_is_none(client: ShopClient) -> None:
    assert client.get_item(999) is None


def test_order_round_trip(client: ShopClient) -> None:
    order = client.place_order([(3, 10), (4, 1)])
    assert order.total_cents == 9_50 * 10 - 9_50 + 4_20  # bulk discount, free shipping
    assert order.shipping_cents == 0
    assert client.get_order(order.id) == order
    item = client.get_item(3)
    assert item is not None
    assert item.stock == 1_000 - 10


def test_out_of_stock_is_409(client: ShopClient) -> None:
    with pytest.raises(OutOfStockError) as caught:
        client.place_order([(2, 100), (2, 100), (2, 1)])
    assert caught.value.status == 409
    assert "only 200" in caught.value.detail


def test_unknown_item_in_order_is_404(client: ShopClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.place_order([(999, 1)])
    assert caught.value.status == 404


def test_invalid_order_is_422(client: ShopClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.place_order([])
    assert caught.value.status == 422
    assert client.get_order(999) is None


def test_receipt_page(shop: LiveServer, client: ShopClient) -> None:
    order = client.place_order([(1, 1)])
    with urllib.request.urlopen(shop.url_for(f"/orders/{order.id}"), timeout=5) as page:
        text = page.read().decode()
    assert f"Order #{order.id} confirmed" in text
    assert "Total: $29.89" in text  # 24.90 + 4.99 shipping


def test_receipt_of_a_missing_order_is_404(shop: LiveServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(shop.url_for("/orders/999"), timeout=5)
    assert caught.value.code == 404
    assert b"No order 999." in caught.value.read()

