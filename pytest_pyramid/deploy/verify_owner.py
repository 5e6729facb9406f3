"""A verify run never outlives its owner: it dies with the process that started it, and
whatever it left is ended by the next owner of the work folder and by ``pyramid stop``.

The promise of a supervised rollout is that nothing it started runs on unowned. A verify run
(deploy/verify.py) is a pytest subprocess in its own session, so killing the supervisor
(``kill -9``, the OOM killer) would leave it running against a version nobody watches any
more. Two mechanisms, each for what the other cannot reach:

* **It dies with its starter.** On Linux the run's pytest process asks the kernel for
  ``SIGKILL`` when the thread that started it ends (``prctl(PR_SET_PDEATHSIG)``), armed
  before ``exec``, and exits at once when its starter is already gone (the race between the
  fork and the arming).
* **What it left is found by its mark.** Every process of the run (pytest, its xdist workers,
  a server a test starts in a session of its own) inherits ``PYRAMID_VERIFY_RUN`` = the run's
  folder, which names the work folder. A pid with that start environment is a verify run of
  that folder; a recycled pid never carries it. Whoever next takes the work folder's lease
  (a resumed supervisor, a deploy, abort, rollback: ``service._lease``) and ``pyramid stop``
  kill every such process before acting: no owner holds the lease then, so none is owned.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

#: the start-environment mark of every process of a verify run: the run's folder
MARK = "PYRAMID_VERIFY_RUN"
#: the folder below a work folder that holds its verify runs (deploy/verify.py: folder)
RUNS = "verify"
#: linux/prctl.h
_PR_SET_PDEATHSIG = 1


def marked(environ: Mapping[str, str], out_dir: Path) -> dict[str, str]:
    """``environ`` with the mark of a run kept in ``out_dir``."""
    return {**environ, MARK: str(out_dir.resolve())}


def die_with_starter() -> Callable[[], None] | None:
    """A ``preexec_fn`` that ties the child's life to the calling thread's (Linux); None where
    the kernel offers no such thing (the next owner's sweep still ends the run there)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    starter = os.getpid()

    def arm() -> None:  # runs in the child between fork and exec: no allocation-heavy work
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != starter:  # the starter died before the signal was armed
            os._exit(137)

    return arm


def strays(work_dir: Path) -> list[int]:
    """Live processes marked as a verify run of ``work_dir`` (this process and its
    ancestors excepted: a deploy command run from a verify run's test is not its own stray)."""
    from pytest_pyramid.deploy.processes import carrying

    runs = str((work_dir / RUNS).resolve()) + os.sep
    return carrying(lambda env: env.get(MARK, "").startswith(runs))


def reap(work_dir: Path, timeout: float = 10.0) -> list[int]:
    """Kill every process of a verify run of ``work_dir`` (``strays``); the pids killed.
    Cheap when the folder never ran one (no ``verify`` folder: no scan)."""
    from pytest_pyramid.deploy.processes import start_ticks, wait_gone

    if not (work_dir / RUNS).is_dir():
        return []
    killed: list[int] = []
    for _ in range(3):  # a dying process may still start a child: look again
        found = strays(work_dir)
        if not found:
            break
        ticks = {pid: start_ticks(pid) for pid in found}
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for pid in found:
            wait_gone(pid, ticks[pid], timeout)
        killed += [pid for pid in found if pid not in killed]
    return killed


def reaped_line(work_dir: Path) -> str | None:
    """``reap``, said in one line when it killed anything (None otherwise)."""
    killed = reap(work_dir)
    if not killed:
        return None
    return (f"ended {len(killed)} process(es) of a verify run no supervisor owns any more "
            f"(pid {', '.join(map(str, killed))}): a verify run never outlives its owner")
