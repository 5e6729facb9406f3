"""The rollout state file in the work folder, and the lock a running deploy holds."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from pytest_pyramid.deploy.processes import Version

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@dataclass
class Rollout:
    id: int
    commit: str
    strategy: str
    canary: Version
    stage: int = 0
    weight: int = 0
    status: str = "running"  # running | paused | stuck | promoting
    reason: str = ""
    started_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "commit": self.commit, "strategy": self.strategy,
                "canary": self.canary.as_dict(), "stage": self.stage, "weight": self.weight,
                "status": self.status, "reason": self.reason, "started_at": self.started_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rollout:
        return cls(
            id=int(data["id"]), commit=str(data["commit"]), strategy=str(data["strategy"]),
            canary=Version.from_dict(data["canary"]), stage=int(data.get("stage", 0)),
            weight=int(data.get("weight", 0)), status=str(data.get("status", "running")),
            reason=str(data.get("reason", "")), started_at=str(data.get("started_at", "")),
        )


@dataclass
class DeployState:
    stable: Version | None = None
    rollout: Rollout | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.extra,
                "stable": self.stable.as_dict() if self.stable else None,
                "rollout": self.rollout.as_dict() if self.rollout else None}


def load_state(path: Path) -> DeployState:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return DeployState()
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable deploy state: {exc}") from exc
    stable = Version.from_dict(data["stable"]) if data.get("stable") else None
    rollout = Rollout.from_dict(data["rollout"]) if data.get("rollout") else None
    extra = {k: v for k, v in data.items() if k not in ("stable", "rollout")}
    return DeployState(stable, rollout, extra)


def save_state(path: Path, state: DeployState) -> None:
    from pytest_pyramid._files import write_json_atomic

    write_json_atomic(path, state.as_dict())


class LockHeld(Exception):
    """Another deploy process is working in this folder."""


@contextlib.contextmanager
def deploy_lock(work_dir: Path) -> Iterator[TextIO]:
    """An exclusive lock the kernel drops when its holder dies (even by SIGKILL)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "deploy.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise LockHeld(f"another deploy (pid {holder}) is running in {work_dir}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_holder(work_dir: Path) -> int | None:
    """The pid of the deploy holding the lock, when it provably is that process.

    The pid comes from the lock file; it is trusted only while that process is alive and has
    the lock file open, so a recycled pid is never signalled."""
    from pytest_pyramid.deploy.processes import has_open, is_alive

    path = work_dir / "deploy.lock"
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if pid == os.getpid() or not is_alive(pid) or not has_open(pid, path):
        return None
    return pid


def control_path(work_dir: Path) -> Path:
    return work_dir / "control.json"


def request_action(work_dir: Path, action: str, by: str) -> None:
    from pytest_pyramid._files import write_json_atomic

    write_json_atomic(control_path(work_dir), {"action": action, "by": by})


def take_action(work_dir: Path) -> tuple[str, str] | None:
    path = control_path(work_dir)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    path.unlink(missing_ok=True)
    return str(data.get("action", "")), str(data.get("by", ""))
