"""Test helpers for the deploy tests: verdicts, git repos, a bounded loopback load generator."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.config import DEFAULT_VERDICT
from pytest_pyramid.project import table_from_text
from pytest_pyramid.verdict.document import config_digest, validate_verdict
from pytest_pyramid.verdict.provenance import read_git_info
from tests import verdict_factory
from tests.git_repo import git as git  # re-exported: the deploy tests import it from here
from tests.support.deploy import host

if TYPE_CHECKING:
    from collections.abc import Iterator

#: a secret in the developer's or CI's environment must not leak into these runs
SECRET_ENV = ("PYRAMID_SIGNING_KEY",)

APP = Path(__file__).with_name("sample_app.py")


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


def make_verdict(
    commit: str | None,
    *,
    decision: str = "ready",
    age: timedelta = timedelta(minutes=1),
    commit_age: timedelta = timedelta(hours=1),
    risk: dict[str, Any] | None = None,
    dirty: bool = False,
    repo: Path | None = None,
    nested: bool = False,
) -> dict[str, Any]:
    """A self-consistent verdict; with ``repo``, for that repository's current tree;
    ``nested``: its run was started by another pytest run (which the gate refuses)."""
    now = datetime.now(timezone.utc)
    changes: dict[str, Any] = {
        "commit": commit, "commit_time": iso(now - commit_age), "dirty": dirty,
    }
    if repo is not None:
        info = read_git_info(repo, (repo / DEFAULT_VERDICT,))
        changes["tree"] = {"digest": info.tree, "head": info.head_tree,
                           "excluded": list(info.excluded)}
    if risk is not None:
        changes["risk"] = risk
    verdict = verdict_factory.make_verdict(decision, age=age, **changes)
    verdict["run"]["invocation"]["started_by_run"] = nested
    if repo is not None and commit is not None:
        with_config_of(verdict, repo, commit)
    return dict(validate_verdict(verdict))


def with_config_of(verdict: dict[str, Any], repo: Path, commit: str) -> None:
    """The verdict's ``config.digest`` as the run of ``commit`` would have recorded it: the
    table its tracked pyproject.toml (else pyramid.toml) holds (the deploy compares the two)."""
    for name in ("pyproject.toml", "pyramid.toml"):
        try:
            text = git(repo, "show", f"{commit}:{name}")
        except subprocess.CalledProcessError:
            continue  # not tracked there: the deploy refuses it before comparing
        table = table_from_text(text, name)
        if table is not None:
            verdict["config"] = {"file": name, "digest": config_digest(table)}
            return


def toml(value: object) -> str:
    """A TOML value (JSON's scalars and arrays are TOML; tables become inline tables)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return json.dumps(value)


def new_commit(repo: Path, message: str) -> str:
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def app_command(mode: str = "good", *extra: str) -> str:
    return " ".join([sys.executable, str(APP), "--port", "{port}", "--mode", mode, *extra])


@dataclass
class Load:
    """Steady, bounded loopback load: ``workers`` threads, each at most one request per ``pause``.

    Every response is recorded as (monotonic time, ok, first word of the body = the version)."""

    url: str
    workers: int = 4
    pause: float = 0.005
    max_seconds: float = 90.0
    results: list[tuple[float, bool, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _work(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    body = response.read().decode()
                ok, served = True, body.split(" ", 1)[0]
            except urllib.error.HTTPError as exc:
                ok, served = False, f"HTTP {exc.code}"
            except OSError as exc:
                ok, served = False, type(exc).__name__
            with self._lock:
                self.results.append((time.monotonic(), ok, served))
            time.sleep(self.pause)

    def __enter__(self) -> Load:
        for _ in range(self.workers):
            thread = threading.Thread(target=self._work, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.results) < count and time.monotonic() < deadline:
            time.sleep(0.02)

    @property
    def failed(self) -> int:
        return sum(1 for _, ok, _ in self.results if not ok)

    @property
    def failed_fraction(self) -> float:
        return self.failed / len(self.results) if self.results else 0.0

    def served_by(self, since: float = 0.0) -> Counter[str]:
        return Counter(who for at, ok, who in self.results if ok and at >= since)


@dataclass
class Project:
    """A git repo with a verdict and a tracked [tool.pyramid.deploy]; runs the deploy CLI as a
    process."""

    root: Path
    port: int
    settings: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    #: the ``[tool.pyramid]`` keys of the last :meth:`write_config`
    pyramid: dict[str, Any] = field(default_factory=dict)
    #: every CLI process :meth:`popen` started (the fixture ends those a failed test left)
    started: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def work_dir(self) -> Path:
        return self.root / ".pyramid" / "deploy"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def verdict_path(self) -> Path:
        return self.root / DEFAULT_VERDICT

    def write_config(self, *, pyramid: dict[str, Any] | None = None, **settings: Any) -> None:
        """``[tool.pyramid.deploy]`` with ``settings`` (kept across calls; None removes a
        key), after ``[tool.pyramid]`` keys ``pyramid``. The file is tracked: the next
        :meth:`commit` ships it, and a deploy refuses a configuration its commit does not
        ship (so a test writes its settings before committing what it deploys)."""
        self.settings.update(settings)
        self.settings = {k: v for k, v in self.settings.items() if v is not None}
        self.pyramid = dict(pyramid or {})
        lines = ["[tool.pyramid]", *(f"{k} = {toml(v)}" for k, v in self.pyramid.items()),
                 "[tool.pyramid.deploy]"]
        lines += [f"{key} = {toml(value)}" for key, value in self.settings.items()]
        (self.root / "pyproject.toml").write_text("\n".join(lines) + "\n")

    def commit(self, message: str, *, command: str | None = None, **verdict: Any) -> str:
        """Commit everything, with a ready verdict for it; ``command``: the start command
        this commit ships (kept for later commits). A deploy starts only its commit's tracked
        ``command``, never one from its arguments (hostile case 220 a), so a test deploying a
        faulty version commits the faulty start."""
        if command is not None:
            self.write_config(pyramid=self.pyramid, command=command)
        git(self.root, "add", "-A")
        sha = new_commit(self.root, message)
        write_json_atomic(self.verdict_path, make_verdict(sha, repo=self.root, **verdict))
        return sha

    def write_verdict(self, sha: str, **verdict: Any) -> None:
        """A verdict for an earlier commit ``sha``, as its own test run would have written."""
        data = make_verdict(sha, **verdict)
        tree = git(self.root, "rev-parse", f"{sha}^{{tree}}")
        data["tree"] = {"digest": tree, "head": tree, "excluded": [DEFAULT_VERDICT]}
        with_config_of(data, self.root, sha)
        write_json_atomic(self.verdict_path, data)

    def argv(self, *args: str) -> list[str]:
        return host.argv(host.folder(self.root), *args)  # the test's own host pins

    def environ(self) -> dict[str, str]:
        # A signing key in the developer's or CI's environment must not leak into these runs.
        base = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
        return {**base, **self.env}

    def run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        began = time.monotonic()
        result = subprocess.run(self.argv(*args), cwd=self.root, capture_output=True, text=True,
                                timeout=timeout, env=self.environ())
        took = time.monotonic() - began  # printed: where a slow test's time went
        print(f"$ pyramid {' '.join(args)}  -> {result.returncode} ({took:.2f}s)\n"
              f"{result.stdout}{result.stderr}")
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(self.argv(*args), cwd=self.root, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, env=self.environ())
        self.started.append(process)
        return process

    def state(self) -> dict[str, Any]:
        path = self.work_dir / "state.json"
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        return data

    def wait_state(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(ValueError, OSError):
                state = self.state()
                if predicate(state):
                    return state
            time.sleep(0.02)
        raise AssertionError(f"state never matched; last: {self.state()}")


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


class Receiver:
    """Answers ``statuses`` in turn (then 200); ``hold`` keeps a request open until set."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                owner.bodies.append(json.loads(data))
                owner.arrived.set()
                if owner.hold is not None:
                    owner.hold.wait(30)
                status = owner.statuses.pop(0) if owner.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self, count: int, timeout: float = 30.0) -> list[str]:
        """The events received, once ``count`` arrived (a generous deadline, not a timing)."""
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return [b["event"] for b in self.bodies]


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    """A real loopback webhook receiver, serving until the block ends."""
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        if found.hold is not None:
            found.hold.set()
        found.server.shutdown()
        found.server.server_close()
