"""The shop's critical path over HTTP: healthy, a catalogue, an order placed and read back."""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_pyramid.toolkits.live_server import LiveServer


def call(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_the_shop_is_healthy(pyramid_live_server: LiveServer) -> None:
    assert call(pyramid_live_server.url_for("/health")) == (200, {"status": "ok"})


def test_an_order_goes_through_and_reads_back(pyramid_live_server: LiveServer) -> None:
    status, items = call(pyramid_live_server.url_for("/api/items"))
    assert status == 200
    item = next(i for i in items if i["stock"] > 0)
    status, order = call(pyramid_live_server.url_for("/api/orders"),
                         {"lines": [{"item_id": item["id"], "quantity": 1}]})
    assert status == 201
    assert order["lines"][0]["item_id"] == item["id"]
    status, again = call(pyramid_live_server.url_for(f"/api/orders/{order['id']}"))
    assert (status, again["total_cents"]) == (200, order["total_cents"])
