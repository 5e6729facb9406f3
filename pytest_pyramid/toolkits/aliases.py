"""The old fixture names ``live_server``, ``live_server_app`` and ``live_server_health_path``.

Every web framework's pytest plugin (pytest-django, pytest-flask) owns ``live_server``, so the
toolkit's fixtures are ``pyramid_live_server*``. These aliases keep suites written against the
old names working; the toolkit plugin registers them only when no other plugin already
provides ``live_server`` (see :func:`pytest_pyramid.toolkits.plugin.live_server_owner`).

An alias works both ways: a conftest defining ``live_server_app`` feeds
``pyramid_live_server``, and one defining ``pyramid_live_server_app`` feeds ``live_server_app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.toolkits.pairs import (
    ALIASES_PLUGIN,
    APP_PAIR,
    HEALTH_PAIR,
    default_health_path,
    follow_alias,
    missing_app,
)

if TYPE_CHECKING:
    from pytest_pyramid.toolkits.live_server import LiveServer

PLUGIN_NAME = ALIASES_PLUGIN


@pytest.fixture(scope="session")
def live_server(pyramid_live_server: LiveServer) -> LiveServer:
    """Alias of ``pyramid_live_server`` (absent when pytest-django/pytest-flask is active)."""
    return pyramid_live_server


@pytest.fixture(scope="session")
def live_server_app(request: pytest.FixtureRequest) -> Any:
    """Alias of ``pyramid_live_server_app``; defining either one is enough."""
    return follow_alias(request, APP_PAIR, "pyramid_live_server_app", missing_app)


@pytest.fixture(scope="session")
def live_server_health_path(request: pytest.FixtureRequest) -> str:
    """Alias of ``pyramid_live_server_health_path``; defining either one is enough."""
    value: str = follow_alias(
        request, HEALTH_PAIR, "pyramid_live_server_health_path", default_health_path
    )
    return value
