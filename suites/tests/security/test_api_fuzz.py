"""Schemathesis: schema-valid requests are accepted, invalid ones rejected with a 4xx.

The app is driven in-process through ASGI; the example budget and seed are fixed so CI
runs are reproducible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from demo_service.app import create_app

from pytest_pyramid.toolkits.api import api_suite

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_pyramid.toolkits.services.plugin import PostgresDatabase, RedisDatabase

# Schemathesis reads the operations at collection, before any database exists: the app is
# built unconnected (nothing connects until a request) and each test binds it to its own
app = create_app("postgresql://127.0.0.1:1/unbound", "redis://127.0.0.1:1/0")
suite = api_suite(app, max_examples=30, seed=20261126)


@pytest.fixture(autouse=True)
def _own_database(
    pyramid_postgres: PostgresDatabase, pyramid_redis: RedisDatabase
) -> Iterator[None]:
    app.state.db.bind(pyramid_postgres.url, pyramid_redis.url)
    app.state.db.reset()
    yield
    app.state.db.close()


@pytest.mark.parametrize("operation", suite.operations())
def test_api_conforms_to_its_schema(operation: str) -> None:
    suite.check(operation)
