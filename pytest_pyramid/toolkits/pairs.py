"""Fixture pairs: a new name and its old alias, either of which a conftest may define."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")
#: the name the alias plugin (the old ``live_server*`` fixtures) is registered under
ALIASES_PLUGIN = "pyramid-live-server-aliases"
APP_PAIR = "live_server_app"
HEALTH_PAIR = "live_server_health_path"
_DELEGATING = pytest.StashKey[set[str]]()


def follow_alias(
    request: pytest.FixtureRequest, pair: str, other: str, default: Callable[[], T]
) -> T:
    """The value of ``other``, the other name of a fixture pair, unless it is a default too.

    The default definitions of both names delegate to each other, so a conftest may
    define either name. When the other one is also a default (it is delegating back),
    ``default()`` gives the value.
    """
    delegating = request.config.stash.setdefault(_DELEGATING, set())
    if pair in delegating:
        return default()
    delegating.add(pair)
    try:
        value: T = request.getfixturevalue(other)
    finally:
        delegating.discard(pair)
    return value


def missing_app() -> Any:
    raise pytest.UsageError(
        "the pyramid_live_server fixture needs an app: define a session-scoped "
        "`pyramid_live_server_app` fixture returning an ASGI or WSGI app (or a command list "
        "with {port})"
    )


def default_health_path() -> str:
    return "/"


