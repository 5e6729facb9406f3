"""The ``command`` router: a user's script sets the weights on infrastructure we do not run."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from typing import TYPE_CHECKING

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.deploy.processes import StartError, as_account, version_env, versions_account
from pytest_pyramid.deploy.routers.base import ApplyResult, RouterHealth, RouterState

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig


class CommandRouter:
    """Runs ``router_command`` to set weights; exit status 0 means the weights are live.

    Placeholders: ``{weights}`` (``addr=w,addr=w``), ``{stable}``, ``{stable_weight}``,
    ``{canary}``, ``{canary_weight}`` (the first/second server; empty when absent). Analysis
    reads ``access_log``, which the user's proxy must write in the pyramid log format. The
    proxy is the user's: it is never started, checked for orphans or stopped from here.

    The template is the commit's (a tracked value), so under the host's ``run_as`` its
    program runs as the versions do (deploy/processes.py: ``as_account``, ``version_env``):
    as the account, with no supplementary group and the versions' environment (``pass_env``
    names what it needs, e.g. the proxy's credentials), never with the deploy's rights.
    """

    name = "command"

    def __init__(self, work_dir: Path, template: str, *, access_log: Path | None, port: int,
                 cwd: Path, pass_env: Sequence[str] = ()) -> None:
        self.template = template
        self.pass_env = tuple(pass_env)
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

    @property
    def client_log_path(self) -> Path | None:
        return self._log

    @property
    def error_log_path(self) -> Path | None:
        return None  # the user's proxy: only its access log is in the contract

    def actual(self) -> RouterState | None:
        try:
            data = json.loads(self.state_file.read_text("utf-8"))
            return RouterState(int(data["generation"]),
                               {str(k): int(v) for k, v in dict(data["weights"]).items()})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def check(self) -> RouterHealth:
        # What the command configured is all we can know about a proxy we do not run.
        return RouterHealth(running=self.actual() is not None)

    def drain(self, timeout: float) -> bool:
        return True  # the user's proxy drains on its own terms

    def validate(self, weights: Mapping[str, int]) -> str | None:
        try:
            shlex.split(self.template.format(**self._values(weights)))
        except (KeyError, IndexError, ValueError) as exc:
            return f"router_command template: {exc!r}"
        return None

    #: the user's proxy has no pinned route (routers/base.py): each-step verify is refused
    pinned_url: str | None = None
    pinned_log_path: Path | None = None

    def ensure_running(self, weights: Mapping[str, int],
                       pinned: str | None = None) -> ApplyResult:
        current = self.actual()
        if current is not None:
            return ApplyResult(True, current.generation, 0.0, "already configured")
        return self.apply(weights)

    @staticmethod
    def _values(weights: Mapping[str, int]) -> dict[str, object]:
        items = list(weights.items())
        return {
            "weights": ",".join(f"{a}={w}" for a, w in items),
            "stable": items[0][0] if items else "", "stable_weight": items[0][1] if items else 0,
            "canary": items[1][0] if len(items) > 1 else "",
            "canary_weight": items[1][1] if len(items) > 1 else 0,
        }

    def apply(self, weights: Mapping[str, int], pinned: str | None = None) -> ApplyResult:
        started = time.monotonic()
        current = self.actual()
        generation = (current.generation if current else 0) + 1
        try:
            argv = shlex.split(self.template.format(**self._values(weights)))
            result = subprocess.run(  # type: ignore[call-overload]
                argv, cwd=self.cwd, capture_output=True, text=True, timeout=60,
                **self._as_versions())
        except (KeyError, IndexError, ValueError, OSError, subprocess.TimeoutExpired,
                StartError) as exc:
            return ApplyResult(False, generation, time.monotonic() - started,
                               f"router command failed to run: {exc}")
        if result.returncode != 0:
            why = (result.stderr or result.stdout).strip()
            return ApplyResult(False, generation, time.monotonic() - started,
                               f"router command exited {result.returncode}: {why}")
        try:
            write_json_atomic(self.state_file, {"generation": generation,
                                                "weights": dict(weights)})
        except OSError as exc:
            # The weights are live (the command said so); only our note of them is missing.
            return ApplyResult(True, generation, time.monotonic() - started,
                               f"command applied (could not record it: {exc})")
        return ApplyResult(True, generation, time.monotonic() - started, "command applied")

    def _as_versions(self) -> dict[str, object]:
        """``subprocess.run``'s arguments: the host's ``run_as`` asked at every run (nothing
        when unset: the deploy's own rights and environment, as a version's)."""
        account = versions_account()
        if account is None:
            return {}
        return {"env": version_env(account, self.pass_env, {}), **as_account(account)}

    def stop(self, timeout: float = 5.0) -> str | None:
        return None


def from_config(config: DeployConfig) -> CommandRouter:
    """The router of ``deploy.router_kinds`` named ``command``, from the deploy configuration."""
    return CommandRouter(config.work_dir, config.router_command, access_log=config.access_log,
                         port=config.port, cwd=config.root, pass_env=config.pass_env)
