"""The demo suite's shared fixtures: one shop server per xdist worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from demo_service.db import Database
    from fastapi import FastAPI

    from pytest_pyramid.toolkits.live_server import LiveServer

pytest_plugins = ["pytest_pyramid.toolkits.plugin"]


@pytest.fixture(scope="session")
def shop_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shop") / "shop.db"


@pytest.fixture(scope="session")
def pyramid_live_server_app(shop_db_path: Path) -> FastAPI:
    from demo_service.app import create_app

    return create_app(shop_db_path)


@pytest.fixture(scope="session")
def pyramid_live_server_health_path() -> str:
    return "/health"


@pytest.fixture
def shop(pyramid_live_server: LiveServer, pyramid_live_server_app: FastAPI) -> LiveServer:
    """The running shop with its demo catalogue freshly loaded."""
    db: Database = pyramid_live_server_app.state.db
    db.reset()
    return pyramid_live_server


@pytest.fixture(scope="session")
def base_url(pyramid_live_server: LiveServer) -> str:
    """pytest-playwright's base URL: pages open relative to the shop (``page.goto("/")``)."""
    return pyramid_live_server.url
