"""Verify tiers: the project's own tests run against the new version inside a rollout.

``[tool.pyramid.deploy.verify]`` names a tier (or group). At each phase it lists, the deploy
runs ``pytest --pyramid-tier=TIER --pyramid-target=URL`` as a subprocess in the project
folder (its own session and process group; it dies with its starter and carries a mark by
which the next owner of the work folder ends what it left: deploy/verify_owner.py), with its
own verdict file, and reads that
verdict's target outcome (``verdict/trust.py: target_result``): only ``verified`` passes;
``failed`` (a test failed), ``unverified`` (anything else the run cannot vouch for, or no
verdict) and a time-out (the whole process group killed) fail.

* ``pre-traffic``: before the new version gets any weight, against its own address. A failure
  stops it; how many user requests reached it is counted from the router's log (0 is the
  promise) and said in the reason.
* ``each-step``: at every canary step, through the router's pinned route to the new version
  (routers/base.py: the route contract) while users get the weighted split; it runs beside
  the step's analysis (deploy/step_verify.py), the step does not pass before it did, and a
  failure rolls back at once.
* ``post-promotion``: once the new version has 100%, through the router, before the bake; a
  failure rolls back to the stable version, still warm.

Each run's verdict and output stay in ``<work_dir>/verify/<deployment id>/`` with one line per
run in ``verify.jsonl`` there, which ``pyramid history --id`` shows.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pytest_pyramid.deploy import verify_owner
from pytest_pyramid.durations import format_duration

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pytest_pyramid.deploy.config import VerifySettings

INDEX = "verify.jsonl"
#: variables of a pytest run the deploy itself may run under (a test, CI): not the verify
#: run's, whose own invocation is judged
_OUTER_RUN = ("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS", "COV_CORE_")


@dataclass(frozen=True)
class VerifyRun:
    """One verify run: what ran against what, and what its verdict says."""

    phase: str
    tier: str
    target: str
    outcome: str  # verified | failed | unverified
    reasons: tuple[str, ...]
    verdict: str
    log: str
    exit_code: int | None
    seconds: float
    #: each-step: the step it ran at ("step 1/2 50%")
    at: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == "verified"

    def summary(self) -> str:
        why = "; ".join(self.reasons[:3]) or "no reason given"
        return (f"verify tier {self.tier} {self.outcome} ({self.phase}, {self.target}, "
                f"{format_duration(self.seconds)}): {why}")


def folder(work_dir: Path, deployment_id: int) -> Path:
    return work_dir / "verify" / str(deployment_id)


def command(settings: VerifySettings, url: str, verdict: Path) -> list[str]:
    """The verify run: the selected tier only, against ``url``, its verdict apart; the
    caller's ``PYTHON*`` variables and user site run nothing in it (deploy/isolation.py)."""
    from pytest_pyramid.deploy.isolation import RELEASE_PYTEST

    return [sys.executable, *RELEASE_PYTEST, "-m", "pytest", f"--pyramid-tier={settings.tier}",
            f"--pyramid-target={url}", f"--pyramid-verdict={verdict}", "-q",
            "-p", "no:cacheprovider"]


def environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if not k.startswith(_OUTER_RUN)}


def run_tier(settings: VerifySettings, *, phase: str, url: str, root: Path,
             out_dir: Path, commit: str | None = None) -> VerifyRun:
    """Run the tier against ``url`` and judge its verdict; recorded in ``out_dir``.
    ``commit``: the deployed one, whose tests must be those that ran."""
    running = Running.start(settings, phase=phase, url=url, root=root, out_dir=out_dir,
                            commit=commit)
    running.wait()
    run = running.result()
    record(out_dir, run)
    return run


@dataclass
class Running:
    """A verify run under way (each-step runs beside the step's analysis): ``done`` polls,
    ``result`` judges it once it ended, ``cancel`` kills what is left of it."""

    settings: VerifySettings
    phase: str
    url: str
    verdict: Path
    log: Path
    process: subprocess.Popen[bytes]
    started: float
    at: str = ""
    code: int | None = None
    ended: bool = False
    #: the folder the run ran in: its verdict must name that project (verdict/trust.py)
    root: Path | None = None
    #: the deployed commit: its tests must be the ones that ran (hostile case 275)
    commit: str | None = None

    @classmethod
    def start(cls, settings: VerifySettings, *, phase: str, url: str, root: Path,
              out_dir: Path, name: str = "", at: str = "", commit: str | None = None
              ) -> Running:
        """The run started in its own session; its files are ``out_dir/<name or phase>.*``."""
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = name or phase
        verdict, log = out_dir / f"{stem}.json", out_dir / f"{stem}.log"
        with contextlib.suppress(FileNotFoundError):
            verdict.unlink()  # an older run's file must never be read as this one's
        with log.open("wb") as output:
            # marked, and dying with this thread: a verify run never outlives its owner
            process = subprocess.Popen(
                command(settings, url, verdict), cwd=root, stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                env=verify_owner.marked(environment(os.environ), out_dir),
                preexec_fn=verify_owner.die_with_starter())
        return cls(settings, phase, url, verdict, log, process, time.monotonic(), at, root=root,
                   commit=commit)

    def done(self) -> bool:
        """Ended (exited, or killed at its time-out: then ``code`` stays None)."""
        if not self.ended:
            self.code = self.process.poll()
            if self.code is not None or time.monotonic() - self.started >= self.settings.timeout:
                self.ended = True
            if self.ended:
                _kill_group(self.process)  # a time-out, or servers its tests left behind
        return self.ended

    def wait(self) -> None:
        left = self.settings.timeout - (time.monotonic() - self.started)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=max(left, 0.0))
        self.done()
        if not self.ended:  # the poll above can race the deadline by a moment
            self.ended = True
            _kill_group(self.process)

    def result(self) -> VerifyRun:
        """What its verdict says (call once ``done``)."""
        seconds = time.monotonic() - self.started
        outcome, reasons = judge(self.verdict, self.log, self.code, self.url,
                                 self.settings.timeout, self.root, self.commit)
        return VerifyRun(self.phase, self.settings.tier, self.url, outcome, tuple(reasons),
                         str(self.verdict), str(self.log), self.code, round(seconds, 3),
                         self.at)

    def cancel(self) -> None:
        if not self.ended:
            self.ended = True
            _kill_group(self.process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def judge(verdict: Path, log: Path, code: int | None, url: str,
          timeout: float, root: Path | None = None, commit: str | None = None
          ) -> tuple[str, list[str]]:
    """The run's outcome from its own verdict; a time-out or no verdict is never a pass, nor
    a verdict of another project than the one run in ``root``, or of another commit than the
    deployed ``commit``."""
    if code is None:
        return "failed", [f"timed out after {format_duration(timeout)}: killed with its "
                          "process group"]
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.verdict import load_verdict
    from pytest_pyramid.verdict.trust import project_of, target_result

    try:
        document = load_verdict(verdict)
    except VerdictError as exc:
        return "unverified", [f"pytest exited {code} without a usable verdict ({exc}): "
                              f"{_last_line(log)}"]
    found = target_result(document, None if root is None else project_of(root), commit)
    if found.target != url and found.outcome != "unverified":
        return "unverified", [f"the verdict names target {found.target}, not {url}"]
    if found.outcome == "unverified" and code not in (0, 1):  # a usage error, a crash
        return "unverified", [*found.reasons, f"pytest exited {code}: {_last_line(log)}"]
    return found.outcome, list(found.reasons)


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text("utf-8", "replace").splitlines() if line.strip()]
    except OSError as exc:
        return f"its output cannot be read ({exc})"
    return lines[-1][:300] if lines else "no output"


def record(out_dir: Path, run: VerifyRun) -> None:
    """Best effort, like every bookkeeping write of a rollout: the decision is already made."""
    with contextlib.suppress(OSError), (out_dir / INDEX).open("a", encoding="utf-8") as index:
        index.write(json.dumps(asdict(run)) + "\n")


def records(work_dir: Path, deployment_id: int) -> list[dict[str, Any]]:
    """The verify runs of one deployment attempt, in order (``pyramid history --id``)."""
    path = folder(work_dir, deployment_id) / INDEX
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError:
        return []
    found: list[dict[str, Any]] = []
    for line in lines:
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                found.append(entry)
    return found
