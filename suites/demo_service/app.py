"""The HTTP API (OpenAPI at /openapi.json) and the one HTML page with an order form."""

from __future__ import annotations

import asyncio
import html
import os
from typing import TYPE_CHECKING, Annotated

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from demo_service.db import Database, StoredOrder
from demo_service.domain import MAX_LINES, MAX_QUANTITY, Line, OrderError, OutOfStock, UnknownItem
from demo_service.faults import (
    SLOW_DELAY_S,
    TAIL_DELAY_S,
    TAIL_EVERY,
    active_fault,
    claim_fault,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

#: where the deployed shop finds its data (set for every version by whoever runs the deploy)
DATABASE_ENV = "DEMO_DATABASE_URL"
CACHE_ENV = "DEMO_REDIS_URL"
#: ids are PostgreSQL integers (32-bit): ids outside this range can never exist.
MAX_ID = 2**31 - 1
ItemId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


class ItemOut(BaseModel):
    id: int
    name: str
    price_cents: int
    stock: int


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: int = Field(ge=1, le=MAX_ID)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class LineOut(BaseModel):
    item_id: int
    quantity: int
    unit_price_cents: int
    discount_cents: int
    total_cents: int


class OrderOut(BaseModel):
    id: int
    lines: list[LineOut]
    shipping_cents: int
    total_cents: int


class ErrorOut(BaseModel):
    detail: str


def order_out(order: StoredOrder) -> OrderOut:
    return OrderOut(
        id=order.id,
        lines=[
            LineOut(
                item_id=line.item_id, quantity=line.quantity,
                unit_price_cents=line.unit_price_cents, discount_cents=line.discount_cents,
                total_cents=line.total_cents,
            )
            for line in order.quote.lines
        ],
        shipping_cents=order.quote.shipping_cents,
        total_cents=order.quote.total_cents,
    )


def money(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body></html>
"""

ORDER_SCRIPT = """<script>
document.getElementById("order-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const line = {item_id: Number(form.item.value), quantity: Number(form.quantity.value)};
  const response = await fetch("/api/orders", {
    method: "POST", headers: {"content-type": "application/json"},
    body: JSON.stringify({lines: [line]}),
  });
  const data = await response.json();
  if (response.status === 201) {
    window.location.assign("/orders/" + data.id);
  } else {
    const detail = typeof data.detail === "string" ? data.detail : "invalid order";
    document.getElementById("error").textContent = detail;
  }
});
</script>"""

ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorOut, "description": "No such item or order"},
}


def slow_faults(app: FastAPI, fault: str | None) -> None:
    """The injected slowness faults, as middleware: every request slower (``slow``), or every
    ``TAIL_EVERY``-th one much slower (``slow-tail``); ``/health`` never is."""
    if fault == "slow":

        @app.middleware("http")
        async def slow_down(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            if request.url.path != "/health":
                await asyncio.sleep(SLOW_DELAY_S)
            return await call_next(request)

    if fault == "slow-tail":
        served = [0]  # one event loop: no lock needed

        @app.middleware("http")
        async def slow_tail(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            if request.url.path != "/health":
                served[0] += 1
                if served[0] % TAIL_EVERY == 0:
                    await asyncio.sleep(TAIL_DELAY_S)
            return await call_next(request)


def create_app(database_url: str | None = None, cache_url: str | None = None, *,
               fault: str | None = None) -> FastAPI:
    """Build the app on PostgreSQL at ``database_url`` and Redis at ``cache_url`` (defaults:
    $DEMO_DATABASE_URL, $DEMO_REDIS_URL), whose schema the migrations have built."""
    database_url = database_url or os.environ.get(DATABASE_ENV)
    cache_url = cache_url or os.environ.get(CACHE_ENV)
    if not database_url or not cache_url:
        raise RuntimeError(f"create_app needs a PostgreSQL and a Redis URL (arguments or "
                           f"${DATABASE_ENV} and ${CACHE_ENV})")
    fault = fault if fault is not None else active_fault()
    db = Database(database_url, cache_url)
    app = FastAPI(title="Demo shop", version="1.0.0")
    app.state.db = db
    slow_faults(app, fault)

    @app.exception_handler(OrderError)
    async def order_error(request: Request, exc: OrderError) -> JSONResponse:
        status = {UnknownItem.code: 404, OutOfStock.code: 409}.get(exc.code, 400)
        return JSONResponse({"detail": exc.message}, status_code=status)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/items", response_model=list[ItemOut])
    def list_items() -> list[ItemOut]:
        return [ItemOut(**vars(item)) for item in db.list_items()]

    @app.get("/api/items/{item_id}", response_model=ItemOut, responses=ERRORS)
    def get_item(item_id: ItemId) -> ItemOut:
        item = db.get_item(item_id)
        # The injected bug forgets this check, so a missing item crashes with a 500.
        if item is None and fault != "bug":
            raise HTTPException(404, f"item {item_id} does not exist")
        return ItemOut(**vars(item))

    @app.post(
        "/api/orders",
        response_model=OrderOut,
        status_code=201,
        responses={
            **ERRORS,
            409: {"model": ErrorOut, "description": "Not enough stock"},
            400: {"model": ErrorOut, "description": "An order the shop cannot accept"},
        },
    )
    def place_order(order: OrderIn) -> OrderOut:
        if fault == "bug-checkout":  # the order flow breaks; the health check does not see it
            raise RuntimeError("checkout is broken")
        lines = [Line(line.item_id, line.quantity) for line in order.lines]
        return order_out(db.place_order(lines))

    @app.get("/api/orders/{order_id}", response_model=OrderOut, responses=ERRORS)
    def get_order(order_id: ItemId) -> OrderOut:
        order = db.get_order(order_id)
        if order is None:
            raise HTTPException(404, f"order {order_id} does not exist")
        return order_out(order)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        options = "\n".join(
            f'<option value="{item.id}">{html.escape(item.name)} ({money(item.price_cents)},'
            f" {item.stock} left)</option>"
            for item in db.list_items()
        )
        body = (
            '<form id="order-form">\n'
            f'<label>Item <select name="item" id="item">{options}</select></label>\n'
            f'<label>Quantity <input name="quantity" id="quantity" type="number" min="1"'
            f' max="{MAX_QUANTITY}" value="1" required></label>\n'
            '<button type="submit" id="submit">Place order</button>\n'
            '</form>\n<p id="error" role="alert"></p>\n' + ORDER_SCRIPT
        )
        return PAGE.format(title="Demo shop", body=body)

    @app.get("/orders/{order_id}", response_class=HTMLResponse, include_in_schema=False)
    def receipt(order_id: ItemId) -> HTMLResponse:
        order = db.get_order(order_id)
        if order is None:
            body = f"<p>No order {order_id}.</p>"
            return HTMLResponse(PAGE.format(title="Order not found", body=body), status_code=404)
        rows = "\n".join(
            f"<li>{line.quantity} x item {line.item_id}: {money(line.total_cents)}</li>"
            for line in order.quote.lines
        )
        body = (
            f"<ul>{rows}</ul>\n<p>Shipping: {money(order.quote.shipping_cents)}</p>\n"
            f'<p id="total">Total: {money(order.quote.total_cents)}</p>\n'
            '<a href="/">Back to the shop</a>'
        )
        return HTMLResponse(PAGE.format(title=f"Order #{order.id} confirmed", body=body))

    return app


def app_from_env() -> FastAPI:
    """uvicorn factory: ``uvicorn --factory demo_service.app:app_from_env`` with
    $DEMO_DATABASE_URL and $DEMO_REDIS_URL set. An empty database gets the demo catalogue, so
    a deployed shop has something to order. A fault the canary demo hands to one deploy
    (faults.claim_fault) goes to the first version started with it."""
    app = create_app(fault=claim_fault())
    if not app.state.db.list_items():
        app.state.db.reset()
    return app
