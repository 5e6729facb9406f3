"""A typed Python client of the demo API (the consumer in the contract tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType


class ClientError(Exception):
    """The API refused a request; ``status`` and ``detail`` come from its answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class OutOfStockError(ClientError):
    pass


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    price_cents: int
    stock: int


@dataclass(frozen=True)
class OrderLine:
    item_id: int
    quantity: int
    unit_price_cents: int
    discount_cents: int
    total_cents: int


@dataclass(frozen=True)
class Order:
    id: int
    lines: tuple[OrderLine, ...]
    shipping_cents: int
    total_cents: int


def _item(data: dict[str, Any]) -> Item:
    return Item(int(data["id"]), str(data["name"]), int(data["price_cents"]), int(data["stock"]))


def _order(data: dict[str, Any]) -> Order:
    lines = tuple(
        OrderLine(
            int(line["item_id"]), int(line["quantity"]), int(line["unit_price_cents"]),
            int(line["discount_cents"]), int(line["total_cents"]),
        )
        for line in data["lines"]
    )
    return Order(int(data["id"]), lines, int(data["shipping_cents"]), int(data["total_cents"]))


class ShopClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ShopClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        try:
            detail = str(response.json().get("detail", response.text))
        except ValueError:
            detail = response.text
        error = OutOfStockError if response.status_code == 409 else ClientError
        raise error(response.status_code, detail)

    def list_items(self) -> list[Item]:
        response = self._http.get("/api/items")
        self._check(response)
        return [_item(entry) for entry in response.json()]

    def get_item(self, item_id: int) -> Item | None:
        """The item, or None when the shop has no such item."""
        response = self._http.get(f"/api/items/{item_id}")
        if response.status_code == 404:
            return None
        self._check(response)
        return _item(response.json())

    def place_order(self, lines: Sequence[tuple[int, int]]) -> Order:
        """Order ``(item_id, quantity)`` pairs; raises OutOfStockError when stock is short."""
        payload = {"lines": [{"item_id": i, "quantity": q} for i, q in lines]}
        response = self._http.post("/api/orders", json=payload)
        self._check(response)
        return _order(response.json())

    def get_order(self, order_id: int) -> Order | None:
        response = self._http.get(f"/api/orders/{order_id}")
        if response.status_code == 404:
            return None
        self._check(response)
        return _order(response.json())
