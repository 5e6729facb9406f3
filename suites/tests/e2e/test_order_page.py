"""A customer orders through the page in Chromium; every page load is a metric."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from pytest_pyramid.toolkits.browser import TimedPage
    from pytest_pyramid.toolkits.live_server import LiveServer


def test_home_page_lists_the_catalogue(shop: LiveServer, pyramid_page: TimedPage) -> None:
    pyramid_page.goto("/", name="home")
    assert pyramid_page.title() == "Demo shop"
    options = pyramid_page.locator("#item option").all_inner_texts()
    assert len(options) == 4
    assert options[2].startswith("Ceramic mug ($9.50")


def test_order_through_the_form(shop: LiveServer, pyramid_page: TimedPage) -> None:
    pyramid_page.goto("/", name="home")
    pyramid_page.select_option("#item", "3")
    pyramid_page.fill("#quantity", "10")
    with pyramid_page.expect_navigation(url=re.compile(r"/orders/\d+$")):
        pyramid_page.click("#submit")
    pyramid_page.record_navigation("receipt")
    assert pyramid_page.locator("h1").inner_text().startswith("Order #")
    assert pyramid_page.locator("#total").inner_text() == "Total: $85.50"
    pyramid_page.click("text=Back to the shop")
    pyramid_page.wait_for_url(shop.url_for("/"))
    assert "990 left" in pyramid_page.locator("#item option").nth(2).inner_text()


def test_out_of_stock_message(
    shop: LiveServer, pyramid_page: TimedPage, pyramid_live_server_app: FastAPI
) -> None:
    pyramid_live_server_app.state.db.set_stock(2, 0)
    pyramid_page.goto("/", name="home")
    pyramid_page.select_option("#item", "2")
    pyramid_page.click("#submit")
    pyramid_page.wait_for_function("document.getElementById('error').textContent !== ''")
    assert pyramid_page.locator("#error").inner_text() == (
        "only 0 of 'Pour-over kettle' left, asked for 1"
    )
    assert pyramid_page.url == shop.url_for("/")
