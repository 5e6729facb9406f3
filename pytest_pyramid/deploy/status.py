"""``pyramid status``: the router, the stable and new versions, the rollout and the watch, each
checked against what runs (moved unchanged from deploy/service.py)."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from pytest_pyramid.deploy import processes
from pytest_pyramid.deploy.service import (
    _existing_history,
    _live_watch,
    _registry,
    _router,
    load_state,
    resume_if_orphaned,
    start_watch,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.processes import Version
    from pytest_pyramid.deploy.routers.base import Router
    from pytest_pyramid.deploy.state import DeployState
    from pytest_pyramid.deploy.supervisor import Watcher


@dataclass
class StatusReport:
    exit_code: int
    router: dict[str, object]
    stable: dict[str, object] | None
    rollout: dict[str, object] | None
    previous: dict[str, object] | None
    deploy_process_running: bool
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def status(config: DeployConfig) -> StatusReport:
    """0 healthy and idle, 1 degraded, 2 a rollout in progress (watched), 3 state error."""
    from pytest_pyramid.deploy import supervisor

    router = _router(config)
    notes: list[str] = []
    seen = supervisor.watcher(config.work_dir, config.lease_timeout)
    resumed: list[str] = []
    if not seen.lock_held:  # a dead supervisor: the next command resumes its rollout at once
        resume_if_orphaned(config, resumed.append)
    state, state_error = _read_state(config, router, notes)
    health = router.check()
    actual = router.actual()
    # A router that was never started (or was stopped) is only a problem when it should serve.
    serving = state.stable is not None or state.rollout is not None
    problems = [f"router: {p}" for p in health.problems if serving or p.startswith("orphaned")]
    if state_error:
        problems.insert(0, f"state: {state_error}")
    looked = _Versions(config, state, seen.fresh, problems)
    stable = looked.report(state.stable, "stable")
    rollout = _rollout_report(config, state, looked, seen, resumed)
    extra_notes = _watch_report(config, state, lock_held=seen.lock_held, problems=problems)
    previous = {**state.previous.as_dict(), "alive": processes.version_alive(state.previous)} \
        if state.previous else None
    problems += _strays(config, state, actual.weights if actual else {})
    problems += _unserved(router)
    if not seen.lock_held:
        problems += _open_rows(config, state, notes)
    router_info: dict[str, object] = {
        "kind": config.router, "url": router.url, "running": health.running,
        "generation": actual.generation if actual else None,
        "weights": actual.weights if actual else None,
    }
    return StatusReport(_exit_code(state, state_error, problems), router_info, stable, rollout,
                        previous, seen.fresh, problems, [*notes, *extra_notes])


def _read_state(config: DeployConfig, router: Router,
                notes: list[str]) -> tuple[DeployState, str | None]:
    """The state as saved (never repaired by a look), and what is wrong with it."""
    from pytest_pyramid.deploy.state import DeployState, StateError

    state_error: str | None = None
    try:
        state = load_state(config, router, notes.append, repair=False)
    except StateError as exc:
        state, state_error = DeployState(), str(exc)
    if notes:
        state_error = state_error or notes[0]
    return state, state_error


@dataclass
class _Versions:
    """Each version as status shows it: running, healthy, and a problem when it is not."""

    config: DeployConfig
    state: DeployState
    watched: bool
    problems: list[str]

    def report(self, v: Version | None, role: str) -> dict[str, object] | None:
        if v is None:
            return None
        alive = processes.version_alive(v)
        healthy = alive and processes.http_ok(
            f"http://{v.addr}{self.config.health_path}", 2.0)[0]
        rollout = self.state.rollout
        starting = rollout is not None and rollout.status == "starting" and \
            role == "new version" and self.watched
        if not healthy and not (alive and starting):  # a health check under way is no problem
            self.problems.append(f"{role} {v.commit[:12]} at {v.addr} (pid {v.pid}) is "
                                 + ("not healthy" if alive else "not running"))
        return {**v.as_dict(), "alive": alive, "healthy": healthy}


def _rollout_report(config: DeployConfig, state: DeployState, looked: _Versions,
                    seen: Watcher, resumed: list[str]) -> dict[str, object] | None:
    """The rollout in progress: its record, its new version, what its judge spent (looks k
    of K, alpha x of y), and whether anything watches it."""
    from pytest_pyramid.deploy.comparison import spent

    r = state.rollout
    if r is None:
        return None
    rollout = {**r.as_dict(), "canary": looked.report(r.canary, "new version"),
               "judge": spent(r, config)}
    if r.status == "stuck":
        looked.problems.append(f"rollout #{r.id} is stuck: {r.reason}")
    elif not seen.fresh:
        looked.problems.append(
            f"rollout #{r.id} is {r.status} at {r.weight}% and unwatched: {seen.why}; "
            + ("; ".join(resumed) or "`pyramid abort` or `pyramid rollback` take the lease "
                                     "and act"))
    return rollout


def _strays(config: DeployConfig, state: DeployState, weights: Mapping[str, int]) -> list[str]:
    """Traffic routed where no version of this work folder answers, and versions running
    that are neither stable nor a rollout's."""
    problems: list[str] = []
    known = {v.pid for _, v in state.versions()}
    ours = {v.addr for _, v in state.versions() if processes.version_alive(v)}
    for addr in sorted(weights):
        if addr not in ours:  # e.g. a failed first deployment: nothing healthy to return to
            problems.append(f"router: sends traffic to {addr}, where no running version of "
                            "this work folder answers")
    for leaked in _registry(config).alive():
        if leaked.pid not in known:
            problems.append(f"{leaked.commit[:12]} at {leaked.addr} (pid {leaked.pid}) runs but "
                            "is neither stable nor a rollout's (`pyramid stop` stops it)")
    return problems


#: answers nginx gives itself to a client's own fault (a malformed or abandoned request): no
#: sign of what serves users. Any other answer without an upstream came from the router itself
_CLIENT_FAULTS = frozenset({"400", "408", "413", "414", "431", "444", "494", "499"})
#: how much of the router's log's end status reads (bounded: status is asked often)
_TAIL_BYTES = 64 * 1024
_TAIL_LINES = 200


def _unserved(router: Router) -> list[str]:
    """Users answered by the router itself, with no upstream, among the last requests it
    logged: no release serves them, whatever the weights say (hostile case 378: an include's
    "maintenance page" answered everyone while status said the stable version serves)."""
    path = router.log_path
    if path is None:
        return []
    try:
        with path.open("rb") as log:
            start = log.seek(max(0, log.seek(0, 2) - _TAIL_BYTES))
            lines = log.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    tail = lines[1 if start else 0:][-_TAIL_LINES:]  # a cut first line is not a request
    from pytest_pyramid.deploy.analysis import LOG_FORMAT

    fields = LOG_FORMAT.split("|")  # read by name: the format gains fields
    status, upstream = fields.index("$status"), fields.index("$upstream_addr")
    parts = [line.split("|") for line in tail]
    # the path is the last field and may hold "|" itself (analysis.LOG_FORMAT)
    logged = [p for p in parts if len(p) >= len(fields) and p[status].isdigit()]
    unserved = [p for p in logged if p[upstream] == "-" and p[status] not in _CLIENT_FAULTS]
    if not unserved:
        return []
    return [f"router: {len(unserved)} of the last {len(logged)} requests in {path} were "
            f"answered by the router itself (status {unserved[-1][status]}, no upstream): no "
            "release serves them"]


def _open_rows(config: DeployConfig, state: DeployState, notes: list[str]) -> list[str]:
    """History rows still open that no deploy process runs (asked only when no command
    holds the lock: one that does may be writing them)."""
    history = _existing_history(config, notes.append)
    problems: list[str] = []
    if history is not None:
        with contextlib.suppress(sqlite3.Error, OSError):
            for row in history.open_rows():
                if state.rollout is None or row.id != state.rollout.id:
                    problems.append(f"history #{row.id} is {row.outcome} but no deploy "
                                    "process runs it")
    return problems


def _exit_code(state: DeployState, state_error: str | None, problems: list[str]) -> int:
    if state_error:
        return 3
    if problems:
        return 1
    return 2 if state.rollout is not None else 0


def _watch_report(config: DeployConfig, state: DeployState, *, lock_held: bool,
                  problems: list[str]) -> list[str]:
    """What watches the serving release after its rollout (notes), and what the watch found
    (problems). No watch running where one should: one is started (the serving release is
    always watched while the service runs)."""
    from pytest_pyramid.deploy import supervisor

    stable = state.stable
    if stable is None or state.rollout is not None:
        return []  # nothing serves, or the rollout's supervisor watches
    serving = f"{stable.commit[:12]} at {stable.addr}"
    if config.watch == "off":
        return [f"watch: off: nothing judges {serving}'s traffic after its rollout"]
    record = supervisor.read_watch_status(config.work_dir)
    found = record if record is not None and record.get("pid") == stable.pid else {}
    if found.get("state") == "degraded":
        what = "its analysis stayed blind after the bake" if found.get("cause") == "blind" \
            else "its traffic breached the limits after the bake"
        problems.append(f"stable {stable.commit[:12]} is degraded: {what} "
                        f"({found.get('reason')}); watch policy {found.get('policy')}")
    pid = _live_watch(config)
    if pid is None:
        if lock_held:
            return []  # a command acts on traffic right now; it starts the watch after
        # started and said only once it holds the lease (a frozen one's taken first)
        started: list[str] = []
        problem = start_watch(config, started.append)
        if problem is not None:
            problems.append(problem)
        return [("watch: none was running; " if " judges " in line else "watch: ")
                + line.removeprefix("[watch] ") for line in started]
    if found.get("state") == "blind":
        problems.append(f"stable {stable.commit[:12]} is unjudged: the watch is blind "
                        f"({found.get('reason')})")
    return [f"watch: pid {pid} judges {serving}: its real traffic (policy {config.watch})"]
