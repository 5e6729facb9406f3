"""The demo suite's shared fixtures: one shop server per xdist worker, on PostgreSQL and Redis.

The servers are pytest-pyramid's ``pyramid_postgres`` / ``pyramid_redis`` (one of each per
worker, on loopback); the schema is ``demo_service/migrations`` ([tool.pyramid.services]
postgres_schema), built once per server into the template every test database is cloned from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from demo_service.db import Database
    from fastapi import FastAPI

    from pytest_pyramid.toolkits.live_server import LiveServer
    from pytest_pyramid.toolkits.services.plugin import PostgresDatabase, RedisDatabase
    from pytest_pyramid.toolkits.services.servers import RedisServer

pytest_plugins = ["pytest_pyramid.toolkits.plugin"]


@pytest.fixture(scope="session")
def pyramid_live_server_app(
    pyramid_postgres_shared: PostgresDatabase, pyramid_redis_server: RedisServer
) -> FastAPI:
    """The shop on this worker's own clone of the template (it lives as long as the server)."""
    from demo_service.app import create_app

    return create_app(pyramid_postgres_shared.url, pyramid_redis_server.url)


@pytest.fixture(scope="session")
def pyramid_live_server_health_path() -> str:
    return "/health"


@pytest.fixture
def shop(
    pyramid_live_server: LiveServer, pyramid_live_server_app: FastAPI,
    pyramid_redis: RedisDatabase,
) -> LiveServer:
    """The running shop with its demo catalogue freshly loaded and an empty cache."""
    db: Database = pyramid_live_server_app.state.db
    db.reset()
    return pyramid_live_server


@pytest.fixture(scope="session")
def base_url(pyramid_live_server: LiveServer) -> str:
    """pytest-playwright's base URL: pages open relative to the shop (``page.goto("/")``)."""
    return pyramid_live_server.url
