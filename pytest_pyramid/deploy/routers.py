"""The router interface, and the `command` router for infrastructure other than our nginx."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig


class RouterError(Exception):
    """The router cannot be reached or started at all."""


@dataclass(frozen=True)
class RouterState:
    generation: int
    weights: dict[str, int]


@dataclass(frozen=True)
class ApplyResult:
    ok: bool
    generation: int
    seconds: float
    message: str


class Router(Protocol):
    name: str

    @property
    def url(self) -> str: ...

    @property
    def log_path(self) -> Path | None: ...

    def ensure_running(self, weights: Mapping[str, int]) -> ApplyResult: ...

    def apply(self, weights: Mapping[str, int]) -> ApplyResult: ...

    def actual(self) -> RouterState | None: ...

    def stop(self, timeout: float = 5.0) -> str | None:
        """Stop a router this module runs: None when there was none running, else what was done."""
        ...


class CommandRouter:
    """Runs ``router_command`` to set weights; exit status 0 means the weights are live.

    Placeholders: ``{weights}`` (``addr=w,addr=w``), ``{stable}``, ``{stable_weight}``,
    ``{canary}``, ``{canary_weight}`` (the first/second server; empty when absent). Analysis
    reads ``access_log``, which the user's proxy must write in the pyramid log format.
    """

    name = "command"

    def __init__(self, work_dir: Path, template: str, *, access_log: Path | None, port: int,
                 cwd: Path) -> None:
        self.template = template
        self.state_file = work_dir / "router" / "command-router.json"
        self._log = access_log
        self.port = port
        self.cwd = cwd

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path | None:
        return self._log

    def actual(self) -> RouterState | None:
        try:
            data = json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return RouterState(int(data["generation"]), {k: int(v) for k, v in data["weights"].items()})

    def ensure_running(self, weights: Mapping[str, int]) -> ApplyResult:
        current = self.actual()
        if current is not None:
            return ApplyResult(True, current.generation, 0.0, "already configured")
        return self.apply(weights)

    def apply(self, weights: Mapping[str, int]) -> ApplyResult:
        started = time.monotonic()
        current = self.actual()
        generation = (current.generation if current else 0) + 1
        items = list(weights.items())
        values = {
            "weights": ",".join(f"{a}={w}" for a, w in items),
            "stable": items[0][0] if items else "", "stable_weight": items[0][1] if items else 0,
            "canary": items[1][0] if len(items) > 1 else "",
            "canary_weight": items[1][1] if len(items) > 1 else 0,
        }
        try:
            argv = shlex.split(self.template.format(**values))
            result = subprocess.run(argv, cwd=self.cwd, capture_output=True, text=True, timeout=60)
        except (KeyError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
            return ApplyResult(False, generation, time.monotonic() - started,
                               f"router command failed to run: {exc}")
        if result.returncode != 0:
            why = (result.stderr or result.stdout).strip()
            return ApplyResult(False, generation, time.monotonic() - started,
                               f"router command exited {result.returncode}: {why}")
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"generation": generation, "weights": dict(weights)}))
        os.replace(tmp, self.state_file)
        return ApplyResult(True, generation, time.monotonic() - started, "command applied")

    def stop(self, timeout: float = 5.0) -> str | None:
        # The proxy behind router_command belongs to the user's infrastructure, not to us.
        return None


def make_router(config: DeployConfig) -> Router:
    if config.router == "command":
        return CommandRouter(config.work_dir, config.router_command,
                             access_log=config.access_log, port=config.port, cwd=config.root)
    from pytest_pyramid.deploy.nginx import NginxRouter

    return NginxRouter(config.work_dir, port=config.port, binary=config.nginx,
                       include=config.nginx_include)
