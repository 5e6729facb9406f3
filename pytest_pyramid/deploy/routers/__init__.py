"""Traffic routers, listed in :mod:`pytest_pyramid.deploy.router_kinds` (``nginx``, run here, the
single-host default; ``command``, yours): :func:`make_router` builds the configured one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.deploy.routers.base import (
    ApplyResult,
    Router,
    RouterError,
    RouterHealth,
    RouterState,
)

if TYPE_CHECKING:
    from pytest_pyramid.deploy.config import DeployConfig

__all__ = ["ApplyResult", "Router", "RouterError", "RouterHealth", "RouterState", "make_router"]


def make_router(config: DeployConfig) -> Router:
    """The configured router, built by its own module's factory (imported here: the nginx
    module is only needed by nginx users)."""
    import importlib

    from pytest_pyramid.deploy.router_kinds import BY_NAME

    module, _, function = BY_NAME[config.router].factory.partition(":")
    router: Router = getattr(importlib.import_module(module), function)(config)
    return router
