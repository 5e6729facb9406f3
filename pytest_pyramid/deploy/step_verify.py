"""``each-step`` verify: the verify tier at every canary step, through the router, pinned to
the new version, while users get the weighted split.

The step's weights go live with the new version pinned (routers/base.py: the route
contract); the tier then runs as a pytest subprocess against the router's ``pinned_url``
beside the step's analysis (rollout.py polls it in the watch loop, so router checks, control
requests and measurements go on meanwhile). A failure rolls the rollout back at once; the
step does not pass before the run has passed.

A pass needs proof that the run tested the new version: every request of the run's window in
the router's pinned log went to the new version, and there was at least one. A run that
reached another version (a router started again without its pin, say), or none at all, is
``unverified``: never a pass.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING

from pytest_pyramid.deploy import verify
from pytest_pyramid.deploy.analysis import parse_lines
from pytest_pyramid.deploy.sight import log_size, read_log

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.routers.base import Router

PHASE = "each-step"


def wanted(config: DeployConfig) -> bool:
    return config.verify is not None and PHASE in config.verify.when


class StepVerify:
    """The verify run of one canary step: started when the step's weights are live."""

    def __init__(self, config: DeployConfig, router: Router, *, canary: str, label: str,
                 deployment_id: int, step: int, commit: str | None = None) -> None:
        assert config.verify is not None
        assert router.pinned_url is not None
        self.canary = canary
        self.log_path = router.pinned_log_path
        self.offset = log_size(self.log_path)
        self.out_dir = verify.folder(config.work_dir, deployment_id)
        self.running = verify.Running.start(
            config.verify, phase=PHASE, url=router.pinned_url,
            root=config.root / config.verify.project, out_dir=self.out_dir,
            name=f"{PHASE}-{step}", at=label, commit=commit, pass_env=config.pass_env)
        self.outcome: verify.VerifyRun | None = None

    def poll(self) -> verify.VerifyRun | None:
        """The judged run once it ended (recorded then), else None. Only the watch loop's
        one caller polls (rollout.py: step_verified), so the run that ended is acted on by
        the same call that found it: a failure can never be seen first by a reader that
        does not roll back."""
        if self.outcome is None and self.running.done():
            self.outcome = routed(self.running.result(), self.canary, self.log_path,
                                  self.offset)
            verify.record(self.out_dir, self.outcome)
        return self.outcome

    @property
    def passed(self) -> bool:
        """Ended and passed, as last polled (never polls: see ``poll``)."""
        return self.outcome is not None and self.outcome.passed

    def cancel(self) -> None:
        """The step ended first (rolled back, promoted, aborted): its run is killed."""
        self.running.cancel()


def routed(run: verify.VerifyRun, canary: str, log_path: Path | None,
           offset: int) -> verify.VerifyRun:
    """``run`` as judged with the router's pinned log: a passed run whose requests did not all
    reach ``canary`` (or that sent none through the pinned route) is unverified."""
    if not run.passed:
        return run
    problem = misrouted(canary, log_path, offset)
    if problem is None:
        return run
    return replace(run, outcome="unverified", reasons=(*run.reasons, problem))


def misrouted(canary: str, log_path: Path | None, offset: int) -> str | None:
    """Why the pinned log since ``offset`` does not prove that every request went to
    ``canary`` (None: it does)."""
    lines: list[str] = []
    with contextlib.suppress(OSError):
        lines, _ = read_log(log_path, offset)
    window = parse_lines(lines)
    if window.malformed:
        return (f"the router's pinned log has {window.malformed} line(s) it cannot read: where "
                "the run's requests went is not known")
    upstreams = window.upstreams
    elsewhere = {addr: stats.requests for addr, stats in upstreams.items() if addr != canary}
    if elsewhere:
        where = ", ".join(f"{n} to {addr}" for addr, n in sorted(elsewhere.items()))
        return f"the run's requests did not all reach the new version {canary}: {where}"
    if canary not in upstreams:
        return (f"no request of the run reached the new version {canary} through the "
                "router's pinned route (its pinned log has none): nothing was verified")
    return None
