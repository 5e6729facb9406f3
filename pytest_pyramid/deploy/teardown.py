"""``pyramid stop``: the watch, the router, then every version this work folder started; an
open rollout recorded as aborted (moved unchanged from deploy/service.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from typing import TYPE_CHECKING

from pytest_pyramid.deploy.service import (
    _close_orphan_rows,
    _history,
    _registry,
    _router,
    load_state,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.processes import Version


def stop(config: DeployConfig, *, force: bool, wait: float, out: Callable[[str], None]) -> int:
    """Stop the router and every version this work folder started."""
    from pytest_pyramid.deploy.state import LockHeld, deploy_lock, lock_holder
    from pytest_pyramid.deploy.supervisor import Heartbeat, take_over, watcher

    if not config.work_dir.exists():
        out(f"[stop] nothing is running: no work folder {config.work_dir}")
        return 0
    try:
        with deploy_lock(config.work_dir), Heartbeat(config.work_dir, "stop"):
            return _teardown(config, out)
    except LockHeld as exc:
        if not force:
            out(f"[stop] refused: {exc}; stopping would pull its versions from under it. "
                "Wait for it, `pyramid abort` it, or pass --force")
            return 1
        why = str(exc)
    holder = lock_holder(config.work_dir)
    if holder is not None:
        out(f"[stop] --force: {why}; sending it SIGTERM so it rolls back and exits")
        with contextlib.suppress(ProcessLookupError):
            os.kill(holder, signal.SIGTERM)
    else:
        out(f"[stop] --force: {why}, but its pid cannot be confirmed; it is not signalled")
    deadline = time.monotonic() + wait
    while True:
        try:
            with deploy_lock(config.work_dir), Heartbeat(config.work_dir, "stop"):
                return _teardown(config, out)
        except LockHeld:
            # a frozen supervisor never acts on its SIGTERM: once its heartbeat is stale its
            # lease is taken (SIGKILL, only when proven ours) and the stop goes on
            if not watcher(config.work_dir, config.lease_timeout).fresh and \
                    take_over(config.work_dir, config.lease_timeout, out):
                continue
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
    out(f"[stop] --force: the deploy still holds the lock after {wait:g}s; stopping without it")
    return _teardown(config, out)


def _teardown(config: DeployConfig, out: Callable[[str], None]) -> int:
    from pytest_pyramid.deploy import processes, supervisor
    from pytest_pyramid.deploy.router_kinds import BY_NAME
    from pytest_pyramid.deploy.state import DeployState, StateError, save_state
    from pytest_pyramid.deploy.verify_owner import reaped_line

    router = _router(config)
    registry = _registry(config)
    try:
        state = load_state(config, router, out, repair=False)
    except StateError as exc:
        out(f"[stop] {exc}; stopping what the router and the process registry show")
        state = DeployState()
    acted = False
    watch = supervisor.stop_watch(config.work_dir, config.stop_timeout)
    if watch is not None:
        acted = True
        out(f"[stop] {watch}")
    # The router first: clients then get refused connections, not 502s from dying versions.
    stopped = router.stop(config.stop_timeout)
    if stopped is not None:
        acted = True
        out(f"[stop] router at {router.url}: {stopped}")
    elif not BY_NAME[config.router].runs_here:
        out(f"[stop] router: {config.router} router at {router.url} is yours to stop; left as "
            "it is")
    reaped = reaped_line(config.work_dir)  # before the versions: it may be testing one
    if reaped is not None:
        acted = True
        out(f"[stop] {reaped}")
    versions: list[tuple[str, Version]] = state.versions()
    known = {v.pid for _, v in versions}
    versions += [("registered", v) for v in registry.alive() if v.pid not in known]
    failed: list[str] = []
    for role, version in versions:
        label = f"{role} {version.commit[:12]} at {version.addr} (pid {version.pid})"
        if version.start_ticks is None and processes.is_alive(version.pid):
            # Without a recorded start time a live pid may be a stranger's: never signal it.
            out(f"[stop] {label}: no recorded start time to confirm the pid; not signalled")
            failed.append(label)
            continue
        if not processes.version_alive(version) and not processes.remnants(version):
            registry.remove(version)
            out(f"[stop] {label} had already exited; forgotten")
            continue
        acted = True
        if processes.stop(version, config.stop_timeout, registry):
            out(f"[stop] {label} stopped")
        else:
            out(f"[stop] {label} is STILL RUNNING after SIGKILL")
            failed.append(label)
    registry.forget_dead()
    acted |= _end_marked(config, out, failed)
    history = _history(config, out)
    if state.rollout is not None:
        rollout = state.rollout
        with contextlib.suppress(sqlite3.Error, OSError):
            row = history.get(rollout.id)
            # A rollout still open in the history would stay in progress for ever; stopping
            # ends it like an abort. The stop itself is not a deployment: no row of its own.
            if row is not None and row.outcome in ("in_progress", "paused", "failed"):
                history.finish(rollout.id, outcome="aborted",
                               reason=(f"{row.reason}; " if row.reason else "")
                               + f"stopped by `pyramid stop` at {rollout.weight}% "
                                 f"({rollout.status})", cause="interrupted")
                out(f"[stop] rollout #{rollout.id} of {rollout.commit[:12]} ({rollout.status} at "
                    f"{rollout.weight}%) recorded as aborted")
    _close_orphan_rows(history, DeployState(), out)
    history.close()
    if failed:
        return 1  # what could not be stopped stays in the state, so status still shows it
    if state.stable is not None or state.rollout is not None or state.previous is not None or \
            config.state_path.exists():
        with contextlib.suppress(OSError):
            save_state(config.state_path, DeployState(extra=state.extra))
    if not acted:
        out(f"[stop] nothing is running in {config.work_dir}")
    else:
        out(f"[stop] done: nothing of {config.work_dir} is running")
    return 0


def marked_by_folder(config: DeployConfig) -> list[int]:
    """Every live process carrying the marks of a version of this work folder, whatever
    state, registry or process group say: ``PORT`` set, and ``PYRAMID_RELEASE`` inside the
    release folder this folder's ``release_dir`` gives its ``PYRAMID_COMMIT`` (a version
    replaced or stopped long ago, or a daemon it started in a session of its own)."""
    from pathlib import Path

    from pytest_pyramid.deploy import processes

    def match(env: Mapping[str, str]) -> bool:
        commit, release = env.get("PYRAMID_COMMIT"), env.get("PYRAMID_RELEASE")
        if not commit or not release or "PORT" not in env:
            return False
        base = config.release_path(commit)
        found = Path(release)
        return any(found == b or b in found.parents for b in {base, base.resolve()})

    return processes.carrying(match)


def _end_marked(config: DeployConfig, out: Callable[[str], None], failed: list[str]) -> bool:
    """``stop`` says nothing runs only after this scan: what carries a version's marks is
    ended, by the marks (hostile case 328)."""
    from pytest_pyramid.deploy import processes

    found = marked_by_folder(config)
    if not found:
        return False
    out(f"[stop] {len(found)} process(es) carrying the marks of a version of this work folder "
        f"outlived it (pid {', '.join(map(str, found))}): ending them")
    left = processes.end(found, config.stop_timeout)
    if left:
        out(f"[stop] pid {', '.join(map(str, left))} STILL RUNNING after SIGKILL")
        failed.append(f"pid {', '.join(map(str, left))}")
    return True
