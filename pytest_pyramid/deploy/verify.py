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

Under the host's ``run_as`` the run is the commit's code like its version, so it runs as the
version does (deploy/processes.py: ``as_account``, ``version_env``): as the account, with no
supplementary group, with the versions' allow-listed environment (``pass_env`` names what the
tests need), ``TMPDIR`` and ``HOME`` its own scratch folder (its git configuration there names
the deploy's checkout safe to read: another account's repository). The account may not write
the work folder, so the run writes its verdict into that scratch folder (``<name>.scratch/``,
the account's), and the deploy copies it next to the log (never through a link, only a file
the account owns: ``read_written``) before judging it; the scratch folder is removed then.
The account must be able to run the deploy's interpreter and enter the checkout the tests
run in: the deploy checks that before anything starts (``reach_problem``, called by
service.py: ``_separated``).
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
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from pytest_pyramid.deploy.config import VerifySettings
    from pytest_pyramid.deploy.host_pins import Account

INDEX = "verify.jsonl"
#: variables of a pytest run the deploy itself may run under (a test, CI): not the verify
#: run's, whose own invocation is judged
_OUTER_RUN = ("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS", "COV_CORE_")
#: the most of a verdict written by a run as ``run_as`` the deploy reads
VERDICT_LIMIT = 64 << 20


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
             out_dir: Path, commit: str | None = None, pass_env: Sequence[str] = ()
             ) -> VerifyRun:
    """Run the tier against ``url`` and judge its verdict; recorded in ``out_dir``.
    ``commit``: the deployed one, whose tests must be those that ran; ``pass_env``: the names
    the commit's table passes to what runs as ``run_as``."""
    running = Running.start(settings, phase=phase, url=url, root=root, out_dir=out_dir,
                            commit=commit, pass_env=pass_env)
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
    #: None: it could not start (``problem`` says why): unverified
    process: subprocess.Popen[bytes] | None
    started: float
    at: str = ""
    code: int | None = None
    ended: bool = False
    #: the folder the run ran in: its verdict must name that project (verdict/trust.py)
    root: Path | None = None
    #: the deployed commit: its tests must be the ones that ran (hostile case 275)
    commit: str | None = None
    #: under run_as: the account it runs as, and the scratch folder it writes its verdict in
    account: Account | None = None
    scratch: Path | None = None
    problem: str = ""

    @classmethod
    def start(cls, settings: VerifySettings, *, phase: str, url: str, root: Path,
              out_dir: Path, name: str = "", at: str = "", commit: str | None = None,
              pass_env: Sequence[str] = ()) -> Running:
        """The run started in its own session; its files are ``out_dir/<name or phase>.*``."""
        from pytest_pyramid.deploy.processes import StartError, as_account, versions_account

        out_dir.mkdir(parents=True, exist_ok=True)
        stem = name or phase
        verdict, log = out_dir / f"{stem}.json", out_dir / f"{stem}.log"
        with contextlib.suppress(FileNotFoundError):
            verdict.unlink()  # an older run's file must never be read as this one's
        made = cls(settings, phase, url, verdict, log, None, time.monotonic(), at, root=root,
                   commit=commit)
        try:
            made.account = versions_account()
            env, written = made._environment(out_dir, stem, pass_env)
            with log.open("wb") as output:
                # marked, and dying with this thread: a verify run never outlives its owner
                made.process = subprocess.Popen(  # type: ignore[call-overload]
                    command(settings, url, written), cwd=root, stdin=subprocess.DEVNULL,
                    stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                    env=verify_owner.marked(env, out_dir),
                    preexec_fn=verify_owner.die_with_starter(), **as_account(made.account))
        except (StartError, OSError) as exc:
            made.problem, made.ended = f"the verify run could not start: {exc}", True
            made._drop_scratch()
        return made

    def _environment(self, out_dir: Path, stem: str, pass_env: Sequence[str]
                     ) -> tuple[dict[str, str], Path]:
        """The run's environment and where it writes its verdict: the deploy's own (the outer
        run's variables left out) and ``self.verdict``; under run_as the versions' environment
        and the account's scratch folder."""
        from pytest_pyramid.deploy.processes import scratch, version_env

        if self.account is None:
            return environment(os.environ), self.verdict
        self.scratch = scratch(out_dir / f"{stem}.scratch", self.account)
        env = version_env(self.account, pass_env, {"TMPDIR": str(self.scratch),
                                                   "HOME": str(self.scratch)})
        if self.root is not None:
            _trust_checkout(self.scratch, self.root)
        return env, self.scratch / "verdict.json"

    def done(self) -> bool:
        """Ended (exited, or killed at its time-out: then ``code`` stays None)."""
        if not self.ended and self.process is not None:
            self.code = self.process.poll()
            if self.code is not None or time.monotonic() - self.started >= self.settings.timeout:
                self.ended = True
            if self.ended:
                _kill_group(self.process)  # a time-out, or servers its tests left behind
        return self.ended

    def wait(self) -> None:
        if self.process is None:
            return
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
        problem = self.problem or self._collect()
        if problem:
            outcome, reasons = "unverified", [problem]
        else:
            outcome, reasons = judge(self.verdict, self.log, self.code, self.url,
                                     self.settings.timeout, self.root, self.commit)
        return VerifyRun(self.phase, self.settings.tier, self.url, outcome, tuple(reasons),
                         str(self.verdict), str(self.log), self.code, round(seconds, 3),
                         self.at)

    def _collect(self) -> str:
        """Under run_as: the verdict the run wrote in its scratch folder, copied next to its
        log for the deploy to judge and keep; why it cannot be ("": copied, or nothing to
        copy: the judgement then says the verdict is missing)."""
        from pytest_pyramid._files import write_bytes_atomic
        from pytest_pyramid.deploy.processes import read_written

        if self.scratch is None or self.account is None:
            return ""
        written = self.scratch / "verdict.json"
        try:
            if written.exists() or written.is_symlink():
                write_bytes_atomic(self.verdict,
                                   read_written(written, self.account, VERDICT_LIMIT))
        except OSError as exc:
            return (f"the verdict the run wrote as {self.account.name} cannot be taken "
                    f"({exc}): nothing was verified")
        finally:
            self._drop_scratch()
        return ""

    def _drop_scratch(self) -> None:
        import shutil

        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def cancel(self) -> None:
        if not self.ended and self.process is not None:
            self.ended = True
            _kill_group(self.process)
        self._drop_scratch()


def _trust_checkout(home: Path, root: Path) -> None:
    """The run's own git configuration (``home`` is its ``HOME``): the deploy's checkout is
    another account's, which git refuses to read ("dubious ownership") unless told it is
    safe; the run then could not name the commit its tests are (hostile case 275). Only the
    checkout's repository is named: the deploy's own, which it deploys from."""
    from pytest_pyramid.deploy.releases import ReleaseError, toplevel

    try:
        top = toplevel(root)
    except ReleaseError:
        return  # no repository: the verdict names no commit, and is judged so
    (home / ".gitconfig").write_text(f"[safe]\n\tdirectory = {top}\n", "utf-8")


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
