"""The contract between the Python client and the API, both sides in one module.

Consumer tests record what the client expects as a pact (one Pact per test, merged into
``.pyramid/pacts/shop-client-shop-api.json``); the last test verifies the running API
against that file. Under xdist, run with ``--dist loadfile`` so this module stays on one
worker, in order (xdist's ``loadgroup`` does not group on pytest 9.2: pytest-xdist#1386).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from demo_service.client import Item, OutOfStockError, ShopClient
from pact import match

if TYPE_CHECKING:
    from fastapi import FastAPI

    from pytest_pyramid.toolkits.live_server import LiveServer

CONSUMER = "shop-client"
PROVIDER = "shop-api"
JSON = "application/json"

MakePact = Callable[[str, str], Any]

ITEM_BODY = {
    "id": match.int(1),
    "name": match.str("Espresso beans 1kg"),
    "price_cents": match.int(2490),
    "stock": match.int(500),
}


def test_get_item(pyramid_pact: MakePact) -> None:
    pact = pyramid_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for item 1")
        .given("item 1 exists")
        .with_request("GET", "/api/items/1")
        .will_respond_with(200)
        .with_body(ITEM_BODY, content_type="application/json")
    )
    with pact.serve(addr="127.0.0.1") as server, ShopClient(str(server.url)) as client:
        assert client.get_item(1) == Item(1, "Espresso beans 1kg", 2490, 500)


def test_missing_item(pyramid_pact: MakePact) -> None:
    pact = pyramid_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for a missing item")
        .given("item 999 does not exist")
        .with_request("GET", "/api/items/999")
        .will_respond_with(404)
        .with_body({"detail": match.str("item 999 does not exist")}, content_type=JSON)
    )
    with pact.serve(addr="127.0.0.1") as server, ShopClient(str(server.url)) as client:
        assert client.get_item(999) is None


def test_list_items(pyramid_pact: MakePact) -> None:
    pact = pyramid_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for the catalogue")
        .given("the demo catalogue is loaded")
        .with_request("GET", "/api/items")
        .will_respond_with(200)
        .with_body(match.each_like(ITEM_BODY, min=1), content_type="application/json")
    )
    with pact.serve(addr="127.0.0.1") as server, ShopClient(str(server.url)) as client:
        items = client.list_items()
    assert items
    assert items[0].id == 1


def test_place_order(pyramid_pact: MakePact) -> None:
    pact = pyramid_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("an order for two mugs")
        .given("item 3 has stock")
        .with_request("POST", "/api/orders")
        .with_body({"lines": [{"item_id": 3, "quantity": 2}]}, content_type="application/json")
        .will_respond_with(201)
        .with_body(
            {
                "id": match.int(1),
                "lines": match.each_like(
                    {
                        "item_id": match.int(3),
                        "quantity": match.int(2),
                        "unit_price_cents": match.int(950),
                        "discount_cents": match.int(0),
                        "total_cents": match.int(1900),
                    },
                    min=1,
                ),
                "shipping_cents": match.int(499),
                "total_cents": match.int(2399),
            },
            content_type="application/json",
        )
    )
    with pact.serve(addr="127.0.0.1") as server, ShopClient(str(server.url)) as client:
        order = client.place_order([(3, 2)])
    assert order.total_cents == 2399
    assert order.lines[0].item_id == 3


def test_out_of_stock(pyramid_pact: MakePact) -> None:
    pact = pyramid_pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("an order for more kettles than are left")
        .given("item 2 is out of stock")
        .with_request("POST", "/api/orders")
        .with_body({"lines": [{"item_id": 2, "quantity": 1}]}, content_type="application/json")
        .will_respond_with(409)
        .with_body({"detail": match.str("only 0 left")}, content_type="application/json")
    )
    with (
        pact.serve(addr="127.0.0.1") as server,
        ShopClient(str(server.url)) as client,
        pytest.raises(OutOfStockError) as caught,
    ):
        client.place_order([(2, 1)])
    assert caught.value.status == 409


# --- provider side: runs last, after every consumer test above wrote its interactions ---


def test_provider_honours_the_pacts(
    shop: LiveServer, pyramid_live_server_app: FastAPI, pyramid_verify_pacts: Callable[..., Any]
) -> None:
    db = pyramid_live_server_app.state.db

    def fresh_catalogue() -> None:
        db.reset()

    def item_2_out_of_stock() -> None:
        db.reset()
        db.set_stock(2, 0)

    result = pyramid_verify_pacts(
        PROVIDER,
        shop.url,
        state_handlers={
            "item 1 exists": fresh_catalogue,
            "item 999 does not exist": fresh_catalogue,
            "the demo catalogue is loaded": fresh_catalogue,
            "item 3 has stock": fresh_catalogue,
            "item 2 is out of stock": item_2_out_of_stock,
        },
    )
    assert result.interactions == 5
