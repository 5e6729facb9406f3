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

    def ensure_running(self, weights: Mapping[str, int]) -> ApplyResult:
        """Start the router with ``weights`` unless it runs; a dead or orphaned router is
        cleaned up and started again."""
        ...

    def apply(self, weights: Mapping[str, int]) -> ApplyResult: ...

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
