"""A shopper's mix: browse the catalogue, look at items, sometimes a missing one, order."""

from __future__ import annotations

import random

from locust import FastHttpUser, constant, task


class Shopper(FastHttpUser):
    wait_time = constant(0)

    @task(6)
    def catalogue(self) -> None:
        self.client.get("/api/items")

    @task(6)
    def item(self) -> None:
        self.client.get(f"/api/items/{random.randint(1, 4)}", name="/api/items/{id}")

    @task(2)
    def missing_item(self) -> None:
        # A 404 is the right answer here; anything else counts as an error.
        with self.client.get(
            "/api/items/999", name="/api/items/{missing}", catch_response=True
        ) as response:
            if response.status_code == 404:
                response.success()
            else:
                response.failure(f"expected 404, got {response.status_code}")

    @task(1)
    def order(self) -> None:
        self.client.post("/api/orders", json={"lines": [{"item_id": 4, "quantity": 1}]})
