"""No traffic on a health check alone: judge a version's real traffic before it is trusted.

Two moves used to give a version 100% of the traffic on its health check and record success:
the first deployment (nothing ran before, or everything was stopped) and ``pyramid rollback``
to an earlier release that may be broken by now. Both now go through the rollout's analysis at
their first step, baseline-free (no other version to compare with): the error rate and p95
limits on the real traffic the router logs for that version, the same low-traffic fast-fail
rule, ``measurements`` successful windows of ``interval``. A version that exits or fails a
window fails. Too little traffic to judge within those windows is said (``unjudged``), not
called a pass: nobody was harmed by a version nobody used, and the watch goes on after it.

A rollback target is also probed directly on its port, on ``smoke_paths`` (default: the health
path) before it gets any traffic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from pytest_pyramid.deploy import analysis, processes
from pytest_pyramid.deploy.history import iso, now_utc
from pytest_pyramid.deploy.sight import LogCursor

if TYPE_CHECKING:
    from pytest_pyramid.deploy.analysis import Limits, Measurement
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.processes import Version
    from pytest_pyramid.deploy.routers.base import Router


class Deployer(Protocol):
    """What of the rollout's Deployer a first-step judgement uses (rollout.py imports this
    module, not the other way round)."""

    config: DeployConfig
    router: Router
    limits: Limits

    def out(self, line: str) -> None: ...

    def describe_measurement(self, label: str, n: int, m: Measurement) -> str: ...

POLL_S = 0.05
Result = Literal["passed", "failed", "unjudged"]


@dataclass(frozen=True)
class Judged:
    result: Result
    reason: str
    measurements: tuple[dict[str, object], ...] = ()


def smoke(deployer: Deployer, version: Version) -> str | None:
    """A problem sentence when ``version`` does not answer 2xx on every smoke path."""
    config = deployer.config
    for path in config.smoke_paths or (config.health_path,):
        ok, why = processes.http_ok(f"http://{version.addr}{path}", 5.0)
        deployer.out(f"[smoke] {version.addr}{path}: {why}")
        if not ok:
            return f"smoke check {path} failed ({why})"
    return None


def judge_alone(deployer: Deployer, version: Version, label: str) -> Judged:
    """Measure ``version``'s share of the real traffic logged from now on, window by window,
    against the limits alone. Call once the router gives it traffic. A blind window (sight.py)
    is never a pass: its failures count, the rest leaves the version unjudged, said so."""
    config, router = deployer.config, deployer.router
    cursor = LogCursor.of(router, config)
    wanted = max(1, config.measurements)
    passed = 0
    seen: list[dict[str, object]] = []
    last = "no measurement"
    for n in range(1, wanted + 1):
        deadline = time.monotonic() + config.interval
        while time.monotonic() < deadline:
            if not processes.version_alive(version):
                return Judged("failed", f"{label}: {version.addr} exited", tuple(seen))
            time.sleep(POLL_S)
        reading = cursor.read()
        window = reading.window()
        m = analysis.judge(window.upstreams.get(version.addr), None, deployer.limits)
        if reading.blind is not None and m.result != "failed":
            m = analysis.blind(reading.blind, m)
        seen.append({"n": n, "at": iso(now_utc()), **m.as_dict()})
        deployer.out(deployer.describe_measurement(label, n, m))
        last = "; ".join(m.reasons) or "within the limits"
        if m.result == "failed":
            return Judged("failed", f"{label}: {last}", tuple(seen))
        if m.result == "successful":
            passed += 1
            cursor.commit()
    if passed == wanted:
        return Judged("passed", f"{label}: {passed} measurement(s) within the limits",
                      tuple(seen))
    return Judged("unjudged", f"{label}: too little traffic to judge in {wanted} measurement(s)"
                              f" ({last})", tuple(seen))
