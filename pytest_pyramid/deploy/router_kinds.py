"""The traffic routers: one table, read by every place that lists or builds them.

``[tool.pyramid.deploy] router``'s accepted values and help, the keys a router needs and
:func:`pytest_pyramid.deploy.routers.make_router` all derive from ``KINDS``. Adding a router is
one module in ``routers/`` (a class meeting ``routers.base.Router``, whose access log follows
that protocol's contract, and a ``from_config`` function) and one line here. Plain data only:
the configuration parser imports this module, and a router's module is imported only when
that router is built (``factory`` is ``"module:function"``).
"""

from __future__ import annotations

from typing import NamedTuple


class RouterKind(NamedTuple):
    name: str
    #: a few words for the ``router`` key's help: who runs it
    help: str
    #: ``"module:function"``: ``function(config: DeployConfig) -> Router``
    factory: str
    #: deploy keys this router cannot work without (checked when the configuration is built)
    needs: tuple[str, ...]
    #: this module starts and stops the router (``pyramid stop`` stops it); False: it is yours
    runs_here: bool
    #: it has a pinned route to the new version (routers/base.py): each-step verify
    pins: bool = False
    #: it runs a program the commit names in the checkout, as the host's ``run_as`` (which
    #: must then be able to enter it: service.py ``_runs_as_versions``)
    runs_commit: bool = False
    #: the deploy key naming a program this router runs as the deploy's own account: it must
    #: be the host's file (deploy/isolation.py: foreign_program; hostile case 373)
    host_program: str = ""


_ROUTERS = "pytest_pyramid.deploy.routers"

KINDS: tuple[RouterKind, ...] = (
    RouterKind("nginx", "run here", f"{_ROUTERS}.nginx:from_config", (), True, pins=True,
               host_program="nginx"),
    RouterKind("command", "yours", f"{_ROUTERS}.command:from_config", ("router_command",), False,
               runs_commit=True),
)
BY_NAME: dict[str, RouterKind] = {kind.name: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def key_help() -> str:
    """The ``router`` key's help, worded from the table."""
    return " or ".join(f"{kind.name} ({kind.help})" for kind in KINDS)
