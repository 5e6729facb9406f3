"""What a deploy needs from a traffic router, whatever runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


class RouterError(PyramidError):
    """The router cannot be reached or started at all."""


@dataclass(frozen=True)
class RouterState:
    """What the router itself says it serves."""

    generation: int
    weights: dict[str, int]
    #: the version pinned requests reach (a rollout in progress), None: nothing is pinned
    pinned: str | None = None


@dataclass(frozen=True)
class ApplyResult:
    ok: bool
    generation: int
    seconds: float
    message: str


@dataclass(frozen=True)
class RouterHealth:
    """The router as found: every problem is a reason it cannot be trusted to route."""

    running: bool
    problems: tuple[str, ...] = field(default=())
    #: what the check put right on its own (not problems): e.g. logs reopened after a rotation
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.running and not self.problems


class Router(Protocol):
    """What every router of ``deploy/router_kinds.py`` provides.

    The access-log contract: ``log_path`` names a file the router appends one line to per
    request, in ``deploy/analysis.py: LOG_FORMAT``
    (``$msec|$status|$upstream_addr|$upstream_status|$upstream_response_time|$request_time``,
    with nginx's meaning of each variable: a request retried on another version lists every
    attempt in the three upstream fields, ``a, b``, and each attempt is charged to its
    version, the ``host:port`` of ``$upstream_addr``). Analysis reads the lines written since
    its last measurement; without such a log every measurement is an error, never a pass.
    ``client_log_path`` has the same format for what clients were answered (it may be the
    same file).

    The route contract (a verify run pinned to the new version, ``each-step``): a router that
    can pin names ``pinned_url``, an address of its own (not a version's) where every request
    is routed to the version ``apply``/``ensure_running`` was given as ``pinned``, whatever
    the weights, and only while one is given (without a pin it is the weighted split). Users'
    requests never pin: on the public ``url`` a client cannot select the pinned version. A
    pinned request is logged in ``pinned_log_path`` (same format) and never in ``log_path``:
    it is not user traffic, and the line's upstream address proves where it went. A router
    that cannot pin has ``pinned_url`` None (``each-step`` is refused for it).
    """

    name: str

    @property
    def url(self) -> str: ...

    @property
    def log_path(self) -> Path | None:
        """The access log with one line per upstream attempt (per version): analysis."""
        ...

    @property
    def client_log_path(self) -> Path | None:
        """The access log of what clients were answered."""
        ...

    @property
    def error_log_path(self) -> Path | None:
        """The routing instance's nginx error log, where an answer cut short after its headers
        shows (analysis.cut_short; hostile case 374 chunked), or None (not an nginx)."""
        ...

    @property
    def pinned_url(self) -> str | None:
        """Where a verify run reaches the pinned version through the router (None: no pin)."""
        ...

    @property
    def pinned_log_path(self) -> Path | None:
        """The access log of pinned requests only."""
        ...

    def ensure_running(self, weights: Mapping[str, int],
                       pinned: str | None = None) -> ApplyResult:
        """Start the router with ``weights`` (and ``pinned``) unless it runs; a dead or
        orphaned router is cleaned up and started again."""
        ...

    def apply(self, weights: Mapping[str, int], pinned: str | None = None) -> ApplyResult:
        """``weights`` live, and ``pinned`` (a key of them) the only version pinned requests
        reach; None ends any pin."""
        ...

    def actual(self) -> RouterState | None: ...

    def check(self) -> RouterHealth:
        """Is the router alive, serving what it was last told, with nothing orphaned? A
        router that writes ``log_path`` itself also makes sure it writes to the file at that
        path (after a rotation it is told to reopen its logs: ``notes`` says so)."""
        ...

    def drain(self, timeout: float) -> bool:
        """Wait until requests started under an older configuration have finished."""
        ...

    def validate(self, weights: Mapping[str, int]) -> str | None:
        """None when a configuration for ``weights`` would be accepted, else why not."""
        ...

    def stop(self, timeout: float = 5.0) -> str | None:
        """Stop a router this module runs: None when there was none running, else what was done."""
        ...
