"""The full local canary of the demo shop, end to end and bounded in time.

    cd suites && ../.venv/bin/pytest -n 2     # a `ready` verdict for HEAD first
    ../.venv/bin/python canary_demo.py [--port P]

0. checks that pyramid-verdict.json is `ready` (the deploy gate then checks the rest: that it is
   for HEAD and tested exactly HEAD's tree, so commit before you demo); starts the shop's
   PostgreSQL and Redis on loopback (pytest-pyramid's own servers), one database every version
   shares, handed to them as DEMO_DATABASE_URL / DEMO_REDIS_URL;
1. `pyramid deploy`: the migrations are applied, then the first version takes 100% behind nginx
   on 127.0.0.1:<port>; the demo catalogue is loaded;
2. keep-alive loopback clients on /api/items while `pyramid deploy --redeploy` canaries the same
   commit through 5/25/50/100 and bakes it (a redeploy: a new release of the running code);
3. the same clients while a faulty release is canaried (``DEMO_FAULT`` of this script: ``slow``,
   the default, rolled back by the analysis on its own; ``bug-checkout``, orders fail while
   /health stays green, stopped by the verify tier before it gets any traffic);
3b. a slow tail (DEMO_FAULT=slow-tail: 10% of responses +400 ms, p95 under the 500 ms limit)
   canaried with judge = nonparametric: rolled back by the comparison with a fresh baseline,
   while the threshold limits alone let it through (the output says so, with its p95);
4. a breaking migration (demo_faults/breaking-migration renames a column the serving release
   writes): its integration tier fails on the migrated schema, the deploy is refused before
   anything is applied or any traffic moves;
5. `pyramid rollback`: the version that completed a deploy before the current one is started
   again from its release folder and takes all traffic, under the same clients;
5b. the next release's contract migration (demo_releases/next drops orders.placed_on, which
   nothing reads since 0002): refused "needs approval" with nothing applied, `pyramid approve`,
   then backed up (pg_dump), applied and canaried; `pyramid rollback --restore-backup NAME`
   restores it (canary_contract.py);
6. `pyramid status`, `pyramid history`, `pyramid stats`;
7. `pyramid stop`, always (finally), so nothing is left running; the servers are stopped.

Exit 0 when every step did what it should, 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).resolve().parent
VERDICT = HERE / "pyramid-verdict.json"
#: the slow tail is judged by the tracked plan (steps 5/25/50/100, its inconclusive_limit lets
#: the 5% step's looks wait for data); the command line may only tighten the tracked table
#: (deploy/arguments.py), and judge = nonparametric is the stricter judge
SLOW_TAIL_FLAGS = ("--judge", "nonparametric")
#: DEMO_FAULT -> step 3's title. A deploy starts only the commit's tracked command (hostile case
#: 220: never one from its arguments), so a faulty release is the same commit handed its fault
#: by file (handed_fault): the release the deploy starts first claims it.
FAULTY_RELEASES = {
    "slow": "a slow release (DEMO_FAULT=slow: every API response waits 0.6 s)",
    "bug-checkout": "a release whose order flow is broken (DEMO_FAULT=bug-checkout: placing an "
                    "order answers 500, /health stays green)",
}
#: what the deploy's reason says when the verify tier stopped a release before any traffic
UNTOUCHED = "stopped before any traffic: 0 user request(s) reached the new version (router log)"
# Every pyramid command gets at most this long: a stuck step fails the demo instead of hanging.
COMMAND_TIMEOUT_S = 240.0


def say(text: str = "") -> None:
    print(text, flush=True)


def banner(text: str) -> None:
    say()
    say(f"=== {text}")


def check_verdict() -> str | None:
    """The reason the demo cannot start, or None; prints what it found."""
    from pytest_pyramid.errors import VerdictError
    from pytest_pyramid.verdict import load_verdict

    run_suite = "run the suite first: cd suites && ../.venv/bin/pytest -n 2 (or ./dev canary)"
    try:
        verdict = load_verdict(VERDICT)
    except VerdictError as exc:
        return f"no usable verdict ({exc}); {run_suite}"
    decision = verdict.get("decision")
    commit = str(verdict.get("commit") or "")
    say(f"[demo] verdict: {decision} for {commit[:12] or '?'} (created {verdict.get('created_at')}"
        f", tree {'with uncommitted changes' if verdict.get('dirty') else 'clean'})")
    if decision != "ready":
        return f"the verdict is {decision!r}, not 'ready'; fix what it reports, then {run_suite}"
    if verdict.get("dirty"):
        return ("the verdict tested uncommitted changes, but a deploy ships the commit itself "
                "(a clean checkout), never a working tree: commit, then run ./dev canary again")
    return None


def leftovers(work_dir: Path) -> bool:
    """Whether an earlier deployment from this work folder may still run."""
    from pytest_pyramid.deploy.processes import Registry
    from pytest_pyramid.deploy.state import read_state

    loaded = read_state(work_dir / "state.json")
    state = loaded.state
    return bool(loaded.problem or state.stable or state.rollout or Registry(work_dir).alive()
                or any((work_dir / "router").glob("*/nginx.pid")))


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


#: the shop's database and cache (set by start_services): every pyramid command, so every
#: version the deploy starts, gets them in its environment
SERVICES_ENV: dict[str, str] = {}
BREAKING_MIGRATIONS = "demo_faults/breaking-migration"
#: the deploy work folder ([tool.pyramid.deploy] work_dir), for the contract step's backups
WORK_DIR = HERE / ".pyramid" / "deploy"


def pyramid_env() -> dict[str, str]:
    # The start command says `python`: it must be this venv's, which has uvicorn and the app.
    venv_bin = str(Path(sys.executable).parent)
    return {**os.environ, **SERVICES_ENV,
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}


@contextmanager
def services(databases: tuple[str, ...] = ("shop",)) -> Iterator[None]:
    """One PostgreSQL (database ``shop``) and one Redis on loopback for every version: the
    test fixtures' own servers, recorded under .pyramid/services (a killed demo's are reaped by
    the next pytest run here). Each of ``databases`` is created, its address in
    ``<NAME>_DATABASE_URL`` (and the first's in DEMO_DATABASE_URL), with a Redis database of
    its own in ``<NAME>_REDIS_URL`` (stages_demo.py: one for each environment)."""
    from pytest_pyramid.toolkits.services.providers import POSTGRES, REDIS, find
    from pytest_pyramid.toolkits.services.servers import start_postgres, start_redis

    records = HERE / ".pyramid" / "services"
    where = {s: find(s, ("binaries",), os.environ, which=lambda n, p: shutil.which(n, path=p),
                     pg_config_bindir=lambda: None) for s in (POSTGRES, REDIS)}
    for service, found in where.items():
        if found.where is None:
            raise RuntimeError(found.unavailable(service))
    postgres = start_postgres(str(where[POSTGRES].where), records)
    try:
        redis = start_redis(str(where[REDIS].where), records)
    except BaseException:
        postgres.stop()
        raise
    try:
        with postgres.connect() as admin:
            for name in databases:
                admin.execute(f"CREATE DATABASE {name}")
        SERVICES_ENV.update(DEMO_DATABASE_URL=postgres.conninfo(databases[0]),
                            DEMO_REDIS_URL=redis.url)
        for number, name in enumerate(databases, start=1):
            SERVICES_ENV[f"{name.upper()}_DATABASE_URL"] = postgres.conninfo(name)
            # redis://host:port/N: the server's URL names its database last
            SERVICES_ENV[f"{name.upper()}_REDIS_URL"] = f"{redis.url.rsplit('/', 1)[0]}/{number}"
        say(f"[demo] {postgres.describe()} on {postgres.url} (database "
            f"{', '.join(databases)}); {redis.describe()} on {redis.url}")
        yield
    finally:
        SERVICES_ENV.clear()
        redis.stop()
        postgres.stop()


def load_catalogue() -> None:
    from demo_service.db import Database

    database = Database(SERVICES_ENV["DEMO_DATABASE_URL"], SERVICES_ENV["DEMO_REDIS_URL"])
    try:
        database.reset()
    finally:
        database.close()


def pyramid(*args: str, fault: str = "") -> int:
    """Run a pyramid command from suites/, its output streamed as it comes; ``fault``: the
    demo fault the first version it starts claims (demo_service/faults.py: claim_fault)."""
    shown = " ".join(f'"{a}"' if " " in a else a for a in args)
    say(f"$ pyramid {shown}")
    try:
        import canary_contract  # step 5b's host, when it runs (deploy/host_pins.py)

        with handed_fault(fault) as env:
            result = subprocess.run([*canary_contract.hosted(canary_contract.HOST), *args],
                                    cwd=HERE, env=env, timeout=COMMAND_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        say(f"[demo] pyramid {args[0]} did not finish within {COMMAND_TIMEOUT_S:g}s")
        return 124
    say(f"(exit {result.returncode})")
    return result.returncode


@contextmanager
def handed_fault(fault: str) -> Iterator[dict[str, str]]:
    """The environment of a pyramid command; with ``fault``, a file holding it that the first
    version the command starts claims (removed afterwards if none did)."""
    if not fault:
        yield pyramid_env()
        return
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    handed = WORK_DIR / "demo-fault"
    handed.write_text(fault, "utf-8")
    try:
        yield {**pyramid_env(), "DEMO_FAULT_ONCE": str(handed)}
    finally:
        for left in (handed, *WORK_DIR.glob(f"{handed.name}.*")):  # unclaimed, or claimed
            left.unlink(missing_ok=True)


def deployment_detail(ident: object) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_pyramid.deploy", "history", "--json", "--id", str(ident)],
        cwd=HERE, env=pyramid_env(), capture_output=True, text=True, timeout=60, check=False)
    return dict(json.loads(result.stdout or "{}")) if result.returncode == 0 else {}


def slow_tail(port: int, url: str) -> list[str]:
    """Step 3b: the slow tail, judged by the comparison; what the threshold limits saw."""
    banner("3b. a slow tail (DEMO_FAULT=slow-tail: 10% of API responses +400 ms) judged by "
           "judge = nonparametric against a fresh baseline")
    with Load(url) as load:
        code = pyramid("deploy", "--port", str(port), "--redeploy", *SLOW_TAIL_FLAGS,
                       fault="slow-tail")
    say(f"[clients] {load.report()}")
    row = last_deployment()
    reason = str(row.get("reason") or "")
    problems = []
    # a tenth of the requests 400 ms slower also moves the ranks: the Mann-Whitney test
    # ("slower: shift ...") may see it at the same look as the tail test, or first
    judged = "slow tail" in reason or "slower:" in reason
    if code != 1 or row.get("outcome") != "rolled_back" or not judged:
        problems.append(f"the slow tail ended with exit {code}, outcome {row.get('outcome')!r} "
                        f"({reason or 'no reason'}): expected a rollback by the comparison")
    else:
        say(f"[demo] the slow tail was rolled back by the nonparametric judge: {reason}")
        say(f"[demo] {tail_view(row.get('id'))}")
    say(f"[demo] {threshold_view(row.get('id'))}")
    if load.failed:
        problems.append(f"clients saw {load.failed} failed request(s) during the slow tail")
    return problems


def tail_view(ident: object) -> str:
    """The last comparing look's tail share and its test, whichever test decided."""
    steps = deployment_detail(ident).get("steps") or []
    looks = [m["comparison"] for step in steps if isinstance(step, dict)
             for m in step.get("measurements") or []
             if isinstance(m, dict) and isinstance(m.get("comparison"), dict)
             and m["comparison"].get("p_tail") is not None]
    if not looks:
        return "the tail test: no comparing look recorded"
    last = looks[-1]
    return (f"the tail at that look: {float(last['tail_canary']):.1%} of canary requests above "
            f"{float(last['tail_threshold']) * 1000:.0f}ms against "
            f"{float(last['tail_baseline']):.1%} of the baseline's, Fisher "
            f"p={float(last['p_tail']):.2g} (look {last.get('look')}, "
            f"n {last.get('n_canary')} / {last.get('n_baseline')})")


def threshold_view(ident: object) -> str:
    """What the threshold limits said of the same looks (they run beside the comparison)."""
    steps = deployment_detail(ident).get("steps") or []
    looks = [m for step in steps if isinstance(step, dict)
             for m in step.get("measurements") or [] if isinstance(m, dict)]
    judged = [m for m in looks if m.get("p95_s") is not None]
    if not judged:
        return "the threshold judge: no measurement recorded to show"
    last = judged[-1]
    p95, rate = float(last["p95_s"]), float(last.get("error_rate") or 0.0)
    verdict = "lets it through" if p95 <= 0.5 and rate <= 0.005 else "also fails it"
    return (f"the threshold judge alone {verdict}: the canary's p95 {p95 * 1000:.0f}ms against "
            f"the 500ms limit, errors {rate:.2%} against 0.50% (the same look)")


def last_deployment() -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_pyramid.deploy", "history", "--json", "--limit", "1"],
        cwd=HERE, env=pyramid_env(), capture_output=True, text=True, timeout=60, check=False)
    rows = json.loads(result.stdout or "[]") if result.returncode == 0 else []
    return dict(rows[0]) if rows else {}


@dataclass
class Load:
    """Loopback clients on the router, bounded by time and request count: ``keepalive``
    threads reuse one HTTP/1.1 connection each (as a service calling the shop would), one
    more opens a new connection per request. Every request is counted."""

    url: str
    keepalive: int = 3
    max_seconds: float = 180.0
    max_requests: int = 50_000
    pause: float = 0.01
    ok: int = 0
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _count(self, problem: str | None) -> bool:
        with self._lock:
            if problem is None:
                self.ok += 1
            else:
                self.failed += 1
                self.errors[problem] = self.errors.get(problem, 0) + 1
            return self.ok + self.failed < self.max_requests

    def _reused(self) -> None:
        host, _, port = self.url.split("/")[2].partition(":")
        path = "/" + self.url.split("/", 3)[3]
        conn: http.client.HTTPConnection | None = None
        deadline = time.monotonic() + self.max_seconds
        try:
            while not self._stop.is_set() and time.monotonic() < deadline:
                problem = None
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(host, int(port), timeout=30)
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    if response.status >= 400:
                        problem = f"HTTP {response.status}"
                except (OSError, http.client.HTTPException) as exc:
                    problem = type(exc).__name__
                    if conn is not None:
                        conn.close()
                    conn = None
                if not self._count(problem):
                    return
                self._stop.wait(self.pause)
        finally:
            if conn is not None:
                conn.close()

    def _fresh(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            problem = None
            try:
                with urllib.request.urlopen(self.url, timeout=30) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code}"
            except OSError as exc:
                problem = type(exc).__name__
            if not self._count(problem):
                return
            self._stop.wait(self.pause)

    def __enter__(self) -> Load:
        for target in [self._reused] * self.keepalive + [self._fresh]:
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=40)

    def report(self) -> str:
        total = self.ok + self.failed
        share = f"{self.failed / total:.2%}" if total else "n/a"
        detail = f" ({', '.join(f'{k}: {v}' for k, v in self.errors.items())})" if self.errors \
            else ""
        return (f"{self.keepalive} keep-alive client(s) + 1 new-connection client sent {total} "
                f"requests to {self.url}: {self.failed} failed = {share}{detail}")


def faulty_release(port: int, url: str, fault: str) -> list[str]:
    """Step 3: the faulty release must be stopped, with no failed client request."""
    banner(f"3. {FAULTY_RELEASES[fault]}")
    problems: list[str] = []
    with Load(url) as load:
        code = pyramid("deploy", "--port", str(port), "--redeploy", fault=fault)
    say(f"[clients] {load.report()}")
    last = last_deployment()
    outcome, reason = last.get("outcome"), str(last.get("reason", ""))
    # stopped before any traffic, a release is aborted (no user had it); later, rolled back
    expected = "aborted" if fault == "bug-checkout" else "rolled_back"
    if code != 1 or outcome != expected:
        problems.append(f"the faulty release ended with exit {code}, outcome {outcome!r} "
                        f"(expected {expected})")
    elif fault == "bug-checkout" and UNTOUCHED not in reason:
        problems.append(f"the broken checkout was not stopped by the verify tier before any "
                        f"traffic: {reason}")
    elif fault == "bug-checkout":
        say("[demo] the verify tier stopped the broken checkout before any traffic: 0 client "
            "requests reached it (router log); stable kept serving")
    else:
        say("[demo] the slow release was rolled back automatically; stable kept serving")
    if load.failed:
        problems.append(f"clients saw {load.failed} failed request(s) during the faulty "
                        "release's rollout (requests in flight must drain first)")
    return problems


def demo(port: int, fault: str = "slow") -> list[str]:
    """Steps 1-5; returns what went wrong (empty when the demo did what it should)."""
    problems: list[str] = []
    url = f"http://127.0.0.1:{port}/api/items"

    banner("1. first deployment: nothing to compare with, 100% at once, judged at its first step")
    # --redeploy: step 3 rolls this same commit back (handed a fault), so on a second run
    # of this script the verdict would otherwise be refused as a replay (docs/deploy.md)
    if pyramid("deploy", "--port", str(port), "--redeploy") != 0:
        return ["the first deployment failed (see the gate's reasons above)"]
    load_catalogue()
    say("[demo] the demo catalogue is loaded into the shared database")

    banner("2. a good canary (same commit, redeployed) through 5/25/50/100, then its bake")
    with Load(url) as load:
        code = pyramid("deploy", "--port", str(port), "--redeploy")
    say(f"[clients] {load.report()}")
    if code != 0:
        problems.append(f"the good canary exited {code}")
    if load.failed:
        problems.append(f"clients saw {load.failed} failed request(s) during the good canary")

    problems.extend(faulty_release(port, url, fault))

    problems += slow_tail(port, url)

    banner("4. a breaking migration: the serving release's tests run on the new schema first")
    with Load(url) as load:
        code = pyramid("deploy", "--port", str(port), "--redeploy", "--migrations",
                       BREAKING_MIGRATIONS)
    say(f"[clients] {load.report()}")
    row = last_deployment()
    if code == 1 and "schema check" in str(row.get("reason")):
        say("[demo] refused by the schema check: nothing applied, no traffic moved")
    else:
        problems.append(f"the breaking migration ended with exit {code} "
                        f"({row.get('outcome')!r}: {row.get('reason')!r}); expected a refusal")
    if load.failed:
        problems.append(f"clients saw {load.failed} failed request(s) during the refused deploy")

    banner("5. `pyramid rollback`: back to the release before the current one")
    with Load(url) as load:
        code = pyramid("rollback", "--port", str(port), "--by", "demo")
    say(f"[clients] {load.report()}")
    if code != 0:
        problems.append(f"pyramid rollback exited {code}")
    if load.failed:
        problems.append(f"clients saw {load.failed} failed request(s) during the rollback")

    from canary_contract import contract_step  # step 5b, its own module
    problems += contract_step(port, url, WORK_DIR, SERVICES_ENV["DEMO_DATABASE_URL"], pyramid, Load)

    banner("6. where things stand")
    if pyramid("status", "--port", str(port)) != 0:
        problems.append("pyramid status does not report a healthy, idle deployment")
    pyramid("history", "--limit", "5")
    pyramid("stats")
    return problems


def main(argv: list[str] | None = None) -> int:
    from pytest_pyramid.deploy.config import load_config
    from pytest_pyramid.errors import ConfigError

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=None,
                        help="router port on 127.0.0.1 (default: [tool.pyramid.deploy] port)")
    args = parser.parse_args(argv)
    # the faulty release alone gets the fault (handed_fault): never the good versions
    fault = os.environ.pop("DEMO_FAULT", "").strip().lower() or "slow"
    if fault not in FAULTY_RELEASES:
        say(f"canary_demo: DEMO_FAULT={fault!r}: expected one of {', '.join(FAULTY_RELEASES)}")
        return 1
    try:
        config = load_config(HERE / "pyproject.toml")
    except ConfigError as exc:
        say(f"canary_demo: {exc}")
        return 1
    port = args.port or config.port

    banner("0. the verdict")
    problem = check_verdict()
    if problem:
        say(f"canary_demo: {problem}")
        return 1
    if leftovers(config.work_dir):
        say(f"[demo] a previous deployment still runs from {config.work_dir}; stopping it")
        pyramid("stop", "--port", str(port))
    if not port_free(port):
        say(f"canary_demo: 127.0.0.1:{port} is in use by something else; pass --port")
        return 1
    say(f"[demo] router port 127.0.0.1:{port} is free; work folder {config.work_dir}")

    problems: list[str] = []
    with services():
        try:
            problems = demo(port, fault)
        except KeyboardInterrupt:
            problems = ["interrupted"]
        finally:
            banner("7. teardown")
            if pyramid("stop", "--port", str(port)) != 0:
                problems.append("pyramid stop failed: see above; `pyramid status` shows what "
                                "is left")
    say()
    if problems:
        for line in problems:
            say(f"[demo] FAILED: {line}")
        return 1
    say(f"[demo] done: a good canary promoted after its bake, a faulty one ({fault}) stopped, "
        "a slow tail rolled back by the nonparametric judge, a breaking migration refused, a "
        "rollback to the previous release, a contract migration approved, backed up and "
        "restored, nothing left running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
