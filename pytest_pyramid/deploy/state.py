"""The rollout state file, the lock a running deploy holds, and control requests.

``state.json`` is never trusted blindly: it is validated on every read, and a file that is
missing, unreadable or of the wrong shape is rebuilt from what can be observed (the router's
live weights and the process registry) or refused with a :class:`StateError` (exit 3).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.deploy.processes import Version
from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

STATE_VERSION = 2
#: running: stepping through weights; paused: inconclusive, waiting for a human (still
#: watched); baking: at 100% with the previous version warm; rolling_back / promoting: the
#: traffic move is under way; starting: the new version is not yet healthy; stuck: a traffic
#: move failed and needs `pyramid abort` once the cause is fixed.
STATUSES = ("starting", "running", "paused", "baking", "rolling_back", "promoting", "stuck")


class StateError(PyramidError):
    """A state file that can neither be trusted nor rebuilt."""


@dataclass
class Progress:
    """How far the watched phase (a step, or the bake) got, durably, so a resumed supervisor
    continues it instead of starting over: the seconds it was *watched* (sums of
    CLOCK_MONOTONIC differences taken inside the supervisor that watched them: no wall clock,
    no comparison across processes or boots), the successful measurements of the step, and
    where in the router's log the analysis window begins (so the traffic of a stretch nobody
    watched is judged by the first measurement after the resume)."""

    phase: str  # "step" | "bake"
    stage: int
    watched_s: float = 0.0
    successes: int = 0
    log_offset: int = 0
    log_inode: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"phase": self.phase, "stage": self.stage, "watched_s": self.watched_s,
                "successes": self.successes, "log_offset": self.log_offset,
                "log_inode": self.log_inode}

    @classmethod
    def from_dict(cls, data: object) -> Progress | None:
        """None for anything but a well-formed record: the phase then starts afresh."""
        if not isinstance(data, dict):
            return None
        phase, stage, watched = data.get("phase"), data.get("stage"), data.get("watched_s")
        successes, offset = data.get("successes"), data.get("log_offset")
        inode = data.get("log_inode")
        counts = (stage, successes, offset)
        if phase not in ("step", "bake") or any(
                isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in counts) or \
                isinstance(watched, bool) or not isinstance(watched, (int, float)) or \
                not 0 <= watched < 1e9 or not (inode is None or isinstance(inode, int)):
            return None
        return cls(str(phase), int(stage), float(watched), int(successes),  # type: ignore[arg-type]
                   int(offset), inode)  # type: ignore[arg-type]


@dataclass
class Rollout:
    id: int
    commit: str
    strategy: str
    canary: Version
    stage: int = 0
    weight: int = 0
    status: str = "starting"
    reason: str = ""
    started_at: str = ""
    #: when the new version first received traffic (ISO, UTC); "" = never exposed
    exposed_at: str = ""
    #: how far the phase being watched got (a resumed supervisor continues it)
    progress: Progress | None = None
    #: judge = "nonparametric": the fresh process of the stable release the canary is compared
    #: with (deploy/comparison.py); stopped when the rollout ends, whoever ends it
    baseline: Version | None = None
    #: judge = "nonparametric": the looks that ran the tests, and the share of judge_alpha they
    #: spent, over the whole rollout (a resumed supervisor goes on counting, never afresh)
    looks: int = 0
    alpha_spent: float = 0.0
    #: the configuration file the rollout was started from ("": not known, a rebuilt state):
    #: every command acting on it reads that file's table at its commit (hostile case 271)
    config: str = ""
    #: the decision a rollback acts on, written as it enters ``rolling_back`` and before the
    #: drain (outcome, cause, the breach's reason): whoever finishes a rollout found
    #: rolling back records that decision, not an interruption ("" = none decided)
    ending: str = ""
    ending_cause: str = ""
    ending_reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "commit": self.commit, "strategy": self.strategy,
                "canary": self.canary.as_dict(), "stage": self.stage, "weight": self.weight,
                "status": self.status, "reason": self.reason, "started_at": self.started_at,
                "exposed_at": self.exposed_at,
                "progress": self.progress.as_dict() if self.progress else None,
                "baseline": self.baseline.as_dict() if self.baseline else None,
                "looks": self.looks, "alpha_spent": self.alpha_spent, "config": self.config,
                "ending": self.ending, "ending_cause": self.ending_cause,
                "ending_reason": self.ending_reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Rollout:
        """Raises ValueError naming what is wrong."""
        canary = data.get("canary")
        if not isinstance(canary, dict):
            raise ValueError("rollout.canary is not an object")
        status = data.get("status", "running")
        if status not in STATUSES:
            raise ValueError(f"rollout.status {status!r} is not one of {', '.join(STATUSES)}")
        ident, stage, weight = data.get("id"), data.get("stage", 0), data.get("weight", 0)
        for name, value in (("id", ident), ("stage", stage), ("weight", weight)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"rollout.{name} = {value!r} is not a count")
        assert isinstance(ident, int)
        assert isinstance(stage, int)
        assert isinstance(weight, int)
        if weight > 100:
            raise ValueError(f"rollout.weight {weight} is not a percentage")
        commit, strategy = data.get("commit"), data.get("strategy")
        if not isinstance(commit, str) or not isinstance(strategy, str):
            raise ValueError("rollout.commit and rollout.strategy must be strings")
        baseline = data.get("baseline")
        if baseline is not None and not isinstance(baseline, dict):
            raise ValueError("rollout.baseline is not an object")
        looks, spent = data.get("looks", 0), data.get("alpha_spent", 0.0)
        if isinstance(looks, bool) or not isinstance(looks, int) or looks < 0:
            raise ValueError(f"rollout.looks = {looks!r} is not a count")
        if isinstance(spent, bool) or not isinstance(spent, (int, float)) or not 0 <= spent <= 1:
            raise ValueError(f"rollout.alpha_spent = {spent!r} is not a share from 0 to 1")
        return cls(
            id=ident, commit=commit, strategy=strategy,
            canary=Version.from_dict(canary), stage=stage, weight=weight, status=str(status),
            reason=str(data.get("reason") or ""), started_at=str(data.get("started_at") or ""),
            exposed_at=str(data.get("exposed_at") or ""),
            progress=Progress.from_dict(data.get("progress")),
            baseline=Version.from_dict(baseline) if baseline is not None else None,
            looks=looks, alpha_spent=float(spent), config=str(data.get("config") or ""),
            **_ending(data),
        )


def _ending(data: Mapping[str, object]) -> dict[str, str]:
    """A rollback's recorded decision; one naming an outcome or cause this tool never writes
    is no decision (the resumer then settles the rollout as interrupted)."""
    from pytest_pyramid.deploy.history import CAUSES

    outcome, cause = data.get("ending") or "", data.get("ending_cause") or ""
    if outcome not in ("rolled_back", "aborted") or cause not in CAUSES:
        return {"ending": "", "ending_cause": "", "ending_reason": ""}
    return {"ending": str(outcome), "ending_cause": str(cause),
            "ending_reason": str(data.get("ending_reason") or "")}


@dataclass
class DeployState:
    #: the last version that completed a deploy; it serves unless a rollout is under way
    stable: Version | None = None
    rollout: Rollout | None = None
    #: the version that completed a deploy before ``stable`` (not running after its bake):
    #: where `pyramid rollback` returns
    previous: Version | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {**self.extra, "state_version": STATE_VERSION,
                "stable": self.stable.as_dict() if self.stable else None,
                "rollout": self.rollout.as_dict() if self.rollout else None,
                "previous": self.previous.as_dict() if self.previous else None}

    def versions(self) -> list[tuple[str, Version]]:
        found: list[tuple[str, Version]] = []
        if self.rollout is not None:
            found.append(("canary", self.rollout.canary))
            if self.rollout.baseline is not None:
                found.append(("baseline", self.rollout.baseline))
        if self.stable is not None:
            found.append(("stable", self.stable))
        return found


def parse_state(data: object) -> DeployState:
    """A validated state; ValueError saying what is wrong with ``data``."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    version = data.get("state_version", 1)
    if version not in (1, STATE_VERSION):
        raise ValueError(f"state_version {version!r} is not one this version reads")

    def version_of(name: str) -> Version | None:
        value = data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError(f"{name} is not an object")
        try:
            return Version.from_dict(value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None

    rollout_data = data.get("rollout")
    if rollout_data is not None and not isinstance(rollout_data, dict):
        raise ValueError("rollout is not an object")
    try:
        rollout = Rollout.from_dict(rollout_data) if rollout_data is not None else None
    except ValueError as exc:
        raise ValueError(f"rollout: {exc}") from None
    extra = {k: v for k, v in data.items()
             if k not in ("stable", "rollout", "previous", "state_version")}
    return DeployState(version_of("stable"), rollout, version_of("previous"), extra)


@dataclass(frozen=True)
class LoadedState:
    """The state as read: ``problem`` says why the file could not be used (None: it could)."""

    state: DeployState
    problem: str | None
    missing: bool = False


def read_state(path: Path) -> LoadedState:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return LoadedState(DeployState(), None, missing=True)
    except OSError as exc:
        return LoadedState(DeployState(), f"{path}: cannot read: {exc}")
    try:
        return LoadedState(parse_state(json.loads(text)), None)
    except (ValueError, RecursionError) as exc:
        return LoadedState(DeployState(), f"{path}: not a valid deploy state: {str(exc)[:200]}")


def save_state(path: Path, state: DeployState) -> None:
    write_json_atomic(path, state.as_dict())


class LockHeld(PyramidError):
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


def flock_held(path: Path, locks: str | None = None) -> bool | None:
    """Whether any process holds a flock on ``path``, from the kernel's table (``/proc/locks``
    or ``locks``): None when that cannot be read. Asking never takes the lock."""
    try:
        info = path.stat()
        if locks is None:
            with open("/proc/locks", encoding="utf-8") as handle:
                locks = handle.read()
    except OSError:
        return None
    wanted = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in locks.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 4902 fe:00:2655552 0 EOF"; "1: -> FLOCK ..." waits
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            return True
    return False


def lock_free(work_dir: Path) -> bool:
    """True when no deploy process holds the lock, asked of the kernel's lock table. Taking
    the lock to find out (the fallback) would, for that moment, refuse a deploy starting just
    then ("another deploy is running") and overwrite the holder's pid in the file: a
    `pyramid supervise` or `status` asking every pass made a concurrent deploy fail."""
    path = work_dir / "deploy.lock"
    if not path.exists():
        return True
    held = flock_held(path)
    if held is not None:
        return not held
    try:
        with deploy_lock(work_dir):
            return True
    except LockHeld:
        return False


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


# -- control requests: `pyramid promote | abort | rollback` to a running deploy ---------------
#
# A request names the rollout it is for and carries a nonce. The deploy claims it by renaming
# the file (only one rename can succeed, so a request is consumed exactly once), acts, and
# writes the answer under the nonce. A requester that gives up withdraws its request the same
# way; a deploy answers every request still waiting for its rollout when the rollout ends, and
# refuses requests for any other rollout, so no request outlives the rollout it named.

ACTIONS = ("promote", "abort", "rollback")


@dataclass(frozen=True)
class ControlRequest:
    rollout: int
    action: str
    by: str
    nonce: str


def _control_dir(work_dir: Path) -> Path:
    return work_dir / "control"


def request_path(work_dir: Path, request: ControlRequest) -> Path:
    return _control_dir(work_dir) / f"{request.rollout}.{request.nonce}.request.json"


def answer_path(work_dir: Path, nonce: str) -> Path:
    return _control_dir(work_dir) / f"{nonce}.answer.json"


def send_request(work_dir: Path, rollout: int, action: str, by: str) -> ControlRequest:
    request = ControlRequest(rollout, action, by, uuid.uuid4().hex)
    write_json_atomic(request_path(work_dir, request), {
        "rollout": rollout, "action": action, "by": by, "nonce": request.nonce,
        "seq": time.monotonic_ns()})
    return request


def _claim(path: Path) -> bool:
    """Atomically take ``path`` out of the queue; False when someone else took it first."""
    try:
        os.rename(path, path.with_name(path.name + f".claimed-{os.getpid()}"))
    except OSError:
        return False
    with contextlib.suppress(OSError):
        path.with_name(path.name + f".claimed-{os.getpid()}").unlink()
    return True


def withdraw(work_dir: Path, request: ControlRequest) -> bool:
    """True when the request was still waiting and is now gone unanswered."""
    return _claim(request_path(work_dir, request))


def take_requests(work_dir: Path) -> list[ControlRequest]:
    """Claim every waiting request (for any rollout); each is returned to exactly one caller."""
    folder = _control_dir(work_dir)
    found: list[tuple[int, Path, object]] = []
    try:
        paths = list(folder.glob("*.request.json"))
    except OSError:
        return []
    for path in paths:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            data = None
        # in the order they were made: CLOCK_MONOTONIC, which a wall-clock step cannot reorder
        seq = data.get("seq") if isinstance(data, dict) else None
        found.append((seq if isinstance(seq, int) else 0, path, data))
    taken: list[ControlRequest] = []
    for _, path, data in sorted(found, key=lambda item: item[0]):
        if not _claim(path):
            continue
        if not isinstance(data, dict):
            continue  # unreadable: consumed and dropped
        try:
            taken.append(ControlRequest(int(data["rollout"]), str(data["action"]),
                                        str(data.get("by", "")), str(data["nonce"])))
        except (KeyError, TypeError, ValueError):
            continue
    return taken


def answer(work_dir: Path, request: ControlRequest, *, done: bool, message: str) -> None:
    with contextlib.suppress(OSError):  # a requester that gave up no longer reads it
        write_json_atomic(answer_path(work_dir, request.nonce),
                          {"done": done, "message": message, "action": request.action,
                           "rollout": request.rollout})


def read_answer(work_dir: Path, nonce: str) -> tuple[bool, str] | None:
    path = answer_path(work_dir, nonce)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    with contextlib.suppress(OSError):
        path.unlink()
    if not isinstance(data, dict):
        return None
    return bool(data.get("done")), str(data.get("message", ""))


def rebuild(weights: Mapping[str, int] | None, alive: list[Version]) -> tuple[DeployState, str]:
    """The state that what runs implies: ``weights`` is what the router serves (None: no
    router), ``alive`` the registered processes still running. Returns the state and a
    sentence saying what was found; StateError when it is ambiguous."""
    by_addr = {version.addr: version for version in alive}

    def age(v: Version) -> tuple[object, ...]:
        # Which started first decides stable vs new: the kernel's start times (ticks since
        # boot) cannot be stepped like the wall clock, so a clock step never swaps the two
        # (an abort would then send all traffic to the new version).
        if all(a.start_ticks is not None for a in alive):
            return (v.start_ticks, v.started_at, v.pid)
        return (v.started_at, v.pid)

    if weights:
        unknown = sorted(addr for addr in weights if addr not in by_addr)
        if unknown:
            raise StateError(f"the router serves {', '.join(unknown)}, which no registered "
                             "process of this work folder owns")
        served = sorted((by_addr[a] for a in weights), key=age)
    else:
        served = []
    idle = sorted((v for v in alive if v not in served), key=age)
    if len(served) > 2 or len(served) + len(idle) > 2:
        listed = ", ".join(f"{v.commit[:12]} at {v.addr} (pid {v.pid})" for v in alive)
        raise StateError(f"cannot tell which version is which: {listed} are running")

    def rollout(canary: Version, weight: int, status: str) -> Rollout:
        return Rollout(canary.deployment_id or 0, canary.commit, "canary", canary, 0, weight,
                       status, "rebuilt from the router and the process registry",
                       canary.started_at, canary.started_at if weight else "")

    if len(served) == 2:
        stable, canary = served
        return (DeployState(stable, rollout(canary, (weights or {})[canary.addr], "running")),
                f"the router splits traffic between {stable.addr} and {canary.addr}: a rollout "
                "nobody watches")
    if len(served) == 1:
        only = served[0]
        if not idle:
            return DeployState(only), f"stable {only.addr} serves all traffic"
        other = idle[0]
        if age(other) < age(only):
            return (DeployState(other, rollout(only, 100, "baking")),
                    f"{only.addr} serves all traffic while the older {other.addr} still runs: "
                    "a rollout in its bake")
        return (DeployState(only, rollout(other, 0, "starting")),
                f"stable {only.addr} serves all traffic; {other.addr} was being started")
    if len(idle) == 1:
        return DeployState(idle[0]), f"{idle[0].addr} runs, but no router serves it"
    if len(idle) == 2:
        return (DeployState(idle[0], rollout(idle[1], 0, "starting")),
                f"{idle[0].addr} and the newer {idle[1].addr} run, but no router serves them")
    return DeployState(), "nothing of this work folder runs"
