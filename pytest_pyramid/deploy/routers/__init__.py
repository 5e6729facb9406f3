"""Traffic routers: ``nginx`` (run here, the single-host default) and ``command`` (yours)."""

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
    # Imported here: the nginx module is only needed by nginx users.
    if config.router == "command":
        from pytest_pyramid.deploy.routers.command import CommandRouter

        return CommandRouter(config.work_dir, config.router_command,
                             access_log=config.access_log, port=config.port, cwd=config.root)
    from pytest_pyramid.deploy.routers.nginx import NginxRouter

    return NginxRouter(config.work_dir, port=config.port, binary=config.nginx,
                       include=config.nginx_include, request_timeout=config.request_timeout)
