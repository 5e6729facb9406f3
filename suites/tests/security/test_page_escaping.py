"""Item names are data, never markup: the page escapes them."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fastapi import FastAPI

    from pytest_pyramid.toolkits.live_server import LiveServer

PAYLOAD = '<script>alert("x")</script>'


def test_item_names_are_escaped(shop: LiveServer, pyramid_live_server_app: FastAPI) -> None:
    pyramid_live_server_app.state.db.reset([(PAYLOAD, 100, 1)])
    with urllib.request.urlopen(shop.url_for("/"), timeout=5) as response:
        page = response.read().decode()
    assert PAYLOAD not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_unknown_routes_do_not_leak_internals(shop: LiveServer) -> None:
    request = urllib.request.Request(shop.url_for("/api/orders/1"), method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 405
    assert b"Traceback" not in caught.value.read()
