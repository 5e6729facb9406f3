"""Core overhead benchmarks (run on demand, never as tests).

    python benchmarks/bench_core.py [--tests 5000] [--repeat 5] [--rounds 20]
    python benchmarks/bench_core.py --large 60000 --rounds 3   # a generated 60k suite only

1. 5,000 trivial tests: plugin active vs ``-p no:pyramid`` in the same run. First side by
   side (both arms at once, pinned to one CPU each: the steadiest figure on a shared VM),
   then one after the other (median of N), then by counting Python function calls.
2. ``--tier=fast`` vs ``-m unit`` on a suite whose e2e modules are slow to import.
3. Start-up: a one-test project in a git repository, plugin active vs ``-p no:pyramid``,
   side by side (CPU seconds per run, medians) and by Python function calls; the git
   processes a run starts are counted too (``--startup-only`` runs just this part;
   ``--against DIR`` also compares this checkout with another's package, side by side).
   Four arms: bare against bare (the noise floor), active with pytest's cache (a developer's
   next run), active on a first run (the cache plugin on, its folder removed before every
   round: a fresh clone, as CI has it) and active with the cache plugin off.

Both arms of a comparison run alternately so machine noise hits them alike; the figures are
ratios, not absolute times. Besides the ratio of the medians, the median of the per-round
ratios is shown: the two runs of a round are seconds apart, so a slow phase of a shared
machine cancels out of it. The overhead is reported in CPU time and wall time.

Bytecode caching is forced on (into a temporary ``PYTHONPYCACHEPREFIX``), whatever
``PYTHONDONTWRITEBYTECODE`` says: without it every run recompiles the plugin and rewrites
every test module's asserts, which a developer's machine does once, and the comparison
would measure compilation instead of the plugin.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

#: the extras' plugins installed beside ours, which a bare project would not load
#: (pytest-playwright alone, importing Playwright's sync API, was half a bare start-up here)
OTHERS_OFF = ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:locust",
              "-p", "no:pact", "-p", "no:playwright", "-p", "no:anyio", "-p", "no:platformdirs",
              "-q", "--no-header", "-p", "no:randomly"]
LEAN = ["-p", "no:cacheprovider", *OTHERS_OFF]
#: start-up as a developer runs it: pytest's cache on in both arms (the plugin keeps the
#: tables that passed the schema there; with the cache off every run checks the table)
WITH_CACHE = OTHERS_OFF


def write_trivial_suite(root: Path, tests: int) -> None:
    per_module = 100
    for tier, share in (("unit", 0.8), ("integration", 0.15), ("e2e", 0.05)):
        count = int(tests * share)
        folder = root / "tests" / tier
        folder.mkdir(parents=True)
        for module in range(0, count, per_module):
            body = "".join(
                f"def test_{i}():\n    assert {i} >= 0\n"
                for i in range(module, min(count, module + per_module))
            )
            (folder / f"test_{tier}_{module}.py").write_text(body)
    # observe: every gate is judged as before, but the exit status stays pytest's own; at a
    # high load 4,000 unit tests outran the unit tier's 30 s budget, the budget gate blocked
    # and the active arm's run "failed" (exit 1), which stopped --trivial-only
    (root / "pyproject.toml").write_text('[tool.pyramid]\nmode = "observe"\n')


def write_slow_import_suite(root: Path) -> None:
    (root / "tests" / "unit").mkdir(parents=True)
    (root / "tests" / "e2e").mkdir(parents=True)
    for index in range(20):
        (root / "tests" / "unit" / f"test_u{index}.py").write_text(
            "import pytest\n"
            + "".join(f"@pytest.mark.unit\ndef test_{i}(): pass\n" for i in range(20))
        )
    for index in range(10):
        # stands in for Playwright / Locust imports: 0.3 s per module at import time
        (root / "tests" / "e2e" / f"test_e{index}.py").write_text(
            textwrap.dedent(
                """
                import time
                import pytest
                time.sleep(0.3)
                @pytest.mark.e2e
                def test_page(): pass
                """
            )
        )
    (root / "pyproject.toml").write_text("[tool.pyramid]\n")


def child_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def timed(cwd: Path, args: list[str], *, cpu: bool) -> float:
    """Wall seconds, or CPU seconds (user + system: steadier on a busy machine) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *LEAN, *args],
        cwd=cwd, capture_output=True, text=True, env=child_env(cwd.parent / "pycache"),
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 5):
        raise SystemExit(f"pytest {args} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    if cpu:
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed


def compare(
    cwd: Path, arms: dict[str, list[str]], repeat: int, *, cpu: bool = False
) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in arms}
    for args in arms.values():
        timed(cwd, args, cpu=cpu)  # warm caches (bytecode, rewritten tests, page cache)
    for _ in range(repeat):
        for name, args in arms.items():
            samples[name].append(timed(cwd, args, cpu=cpu))
    first = next(iter(arms))
    # the minimum is the run least disturbed by other processes; the medians are shown beside it
    return (
        {name: min(values) for name, values in samples.items()}
        | {f"{name} (median)": statistics.median(values) for name, values in samples.items()}
        | {
            f"{name} (paired)": statistics.median(
                value / base for value, base in zip(values, samples[first], strict=True)
            )
            for name, values in samples.items()
        }
    )


def side_by_side(
    cwd: Path, base: list[str], other: list[str], rounds: int, lean: list[str] = LEAN
) -> tuple[float, float, float, float]:
    """Run both arms at the same time, each pinned to its own CPU, swapping CPUs every round.

    On a shared VM the host's load comes and goes within seconds; two runs that overlap in
    time meet the same load, so the ratio of a round is far steadier than the ratio of runs
    made one after the other. Returns the median wall and CPU ratio (other / base) and the
    median wall seconds of each arm.
    """
    env = child_env(cwd.parent / "pycache")
    wall_ratios: list[float] = []
    cpu_ratios: list[float] = []
    walls: dict[str, list[float]] = {"base": [], "other": []}
    for index in range(rounds + 1):  # round 0 warms the caches and is not counted
        cpus = {"base": index % 2, "other": 1 - index % 2}
        started: dict[int, tuple[str, float]] = {}
        for name, args in (("base", base), ("other", other)):
            process = subprocess.Popen(
                ["taskset", "-c", str(cpus[name]), sys.executable, "-m", "pytest", *lean, *args],
                cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            started[process.pid] = (name, time.perf_counter())
        wall: dict[str, float] = {}
        cpu: dict[str, float] = {}
        while len(wall) < 2:
            pid, status, usage = os.wait4(-1, 0)
            name, began = started[pid]
            wall[name] = time.perf_counter() - began
            cpu[name] = usage.ru_utime + usage.ru_stime
            code = os.waitstatus_to_exitcode(status)
            if code not in (0, 5):
                raise SystemExit(f"pytest {other if name == 'other' else base} failed"
                                 f" (exit {code})")
        if index:
            wall_ratios.append(wall["other"] / wall["base"])
            cpu_ratios.append(cpu["other"] / cpu["base"])
            for name in walls:
                walls[name].append(wall[name])
    return (
        statistics.median(wall_ratios),
        statistics.median(cpu_ratios),
        statistics.median(walls["base"]),
        statistics.median(walls["other"]),
    )


def write_one_test_repo(root: Path) -> None:
    """One test, ``[tool.pyramid]`` on, committed: the start-up a developer pays per run."""
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_one.py").write_text("def test_one():\n    assert 1\n")
    (root / "pyproject.toml").write_text("[tool.pyramid]\n")
    (root / ".gitignore").write_text("pyramid-verdict*.json\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "one test"]):
        subprocess.run([*git, *command], cwd=root, check=True, capture_output=True)


def git_processes(cwd: Path, args: list[str], lean: list[str] = LEAN) -> int | None:
    """git processes one run starts (counted with strace; None without it)."""
    if not shutil.which("strace"):
        return None
    trace = cwd.parent / "execve.trace"
    subprocess.run(
        ["strace", "-f", "-e", "trace=execve", "-o", str(trace),
         sys.executable, "-m", "pytest", *lean, *args],
        cwd=cwd, capture_output=True, check=False, env=child_env(cwd.parent / "pycache"),
    )
    # by the program's path: the plugin runs the host's git by its absolute path
    # (run/_git.py), so the argument list no longer starts with a bare "git"
    calls = re.finditer(r'execve\("([^"]*)"[^\n]*', trace.read_text())
    return sum(Path(call[1]).name == "git" and "ENOENT" not in call[0] for call in calls)


def against_checkout(root: Path, other: Path, rounds: int) -> None:
    """This checkout's package against another's (``--against``: e.g. ``git archive`` of
    the parent commit's ``pytest_pyramid`` into a folder), both active, side by side in the
    same rounds: a change's own effect, steadier than two start-up figures taken one after
    the other. Each arm has its checkout first on ``PYTHONPATH`` (so both runs are
    incomplete, naming it: the same work in both)."""
    here = Path(__file__).resolve().parents[1]
    cache = root.parent / "pycache"
    envs = (child_env(cache) | {"PYTHONPATH": str(other.resolve())},
            child_env(cache) | {"PYTHONPATH": str(here)})
    for label, fresh in (("with pytest's cache", False), ("first run", True)):
        samples = side_by_side_cpu(root, [], [], rounds, WITH_CACHE, envs, fresh=fresh)
        deltas = sorted(o - b for b, o in samples)
        quarter = statistics.quantiles(deltas, n=4) if len(deltas) > 1 else [deltas[0]] * 3
        print(f"  this checkout vs {other}, {label}: per-round median"
              f" {statistics.median(deltas) * 1000:+6.1f} ms"
              f" (IQR {quarter[0] * 1000:+.1f}..{quarter[2] * 1000:+.1f})")


def startup(tmp: str, rounds: int, against: Path | None = None) -> None:
    root = Path(tmp, "one_test")
    write_one_test_repo(root)
    bare: list[str] = ["-p", "no:pyramid"]
    active: list[str] = []
    if against is not None and rounds:
        against_checkout(root, against, rounds)
    print(f"start-up, one test in a git repository, side by side, {rounds} rounds"
          " (pytest's cache on in both arms unless said):")
    arms = (("bare (noise floor)", bare, WITH_CACHE, False), ("active", active, WITH_CACHE, False),
            ("active, first run", active, WITH_CACHE, True),
            ("active, cache off", active, LEAN, False))
    if rounds and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        for name, arm, lean, fresh in arms:
            samples = side_by_side_cpu(root, bare, arm, rounds, lean, fresh=fresh)
            base = statistics.median(b for b, _ in samples)
            other = statistics.median(o for _, o in samples)
            delta = statistics.median(o - b for b, o in samples)
            print(f"  {name:<18} CPU median {other * 1000:6.1f} ms vs bare {base * 1000:6.1f} ms"
                  f"   per-round median {delta * 1000:+6.1f} ms")
        print("  target: active <= bare + 60 ms")
        print(f"  load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    calls(root, bare, WITH_CACHE)  # warm the bytecode cache
    counted = {"bare": calls(root, bare, WITH_CACHE), "active": calls(root, active, WITH_CACHE)}
    print("  Python function calls: " + ", ".join(
        f"{name} {value:,}" for name, value in counted.items())
        + f" (+{counted['active'] - counted['bare']:,})")
    print(f"  git processes per run: bare {git_processes(root, bare, WITH_CACHE)},"
          f" active {git_processes(root, active, WITH_CACHE)}")


def side_by_side_cpu(
    cwd: Path, base: list[str], other: list[str], rounds: int, lean: list[str] = LEAN,
    envs: tuple[dict[str, str], dict[str, str]] | None = None, *, fresh: bool = False,
) -> list[tuple[float, float]]:
    """(base, other) CPU seconds of each round, both arms at once on their own CPU (as
    :func:`side_by_side`), children (git) included; ``envs``: each arm's environment;
    ``fresh``: pytest's cache folder is removed before every round (a fresh clone's first
    run: the cache plugin on, nothing in it yet)."""
    env = child_env(cwd.parent / "pycache")
    arm_env = {"base": env, "other": env} if envs is None else dict(
        zip(("base", "other"), envs, strict=True))
    samples: list[tuple[float, float]] = []
    for index in range(rounds + 1):  # round 0 warms the caches and is not counted
        if fresh:
            shutil.rmtree(cwd / ".pytest_cache", ignore_errors=True)
        cpus = {"base": index % 2, "other": 1 - index % 2}
        started: dict[int, str] = {}
        for name, args in (("base", base), ("other", other)):
            # wait4 reports the child with the children it waited for: git is counted
            process = subprocess.Popen(
                ["taskset", "-c", str(cpus[name]), sys.executable, "-m", "pytest", *lean, *args],
                cwd=cwd, env=arm_env[name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            started[process.pid] = name
        cpu: dict[str, float] = {}
        while len(cpu) < 2:
            pid, _status, usage = os.wait4(-1, 0)
            cpu[started[pid]] = usage.ru_utime + usage.ru_stime
        if index:
            samples.append((cpu["base"], cpu["other"]))
    return samples


def calls(cwd: Path, args: list[str], lean: list[str] = LEAN) -> int:
    """Python function calls of one run under cProfile: deterministic, unlike time on a
    shared machine, and a fair proxy for the interpreter work a plugin adds."""
    import pstats

    out = cwd.parent / "calls.prof"  # outside the repository: an untracked file makes it dirty
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "pytest", *lean, *args],
        cwd=cwd, capture_output=True, check=False, env=child_env(cwd.parent / "pycache"),
    )
    return int(pstats.Stats(str(out)).total_calls)  # type: ignore[attr-defined]


def large(tests: int, rounds: int, modes: int = 2) -> None:
    """A generated suite of ``tests`` trivial tests (the issue's 60k figure: no real suite of
    that size runs here), plugin active vs ``-p no:pyramid``, side by side on two CPUs;
    serial, then under ``-n 2`` (both arms' workers on their arm's CPU; ``modes=1``: serial
    only)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "large")
        write_trivial_suite(root, tests)
        for label, extra in (("serial", []), ("-n 2", ["-n", "2"]))[:modes]:
            wall, cpu, base_s, other_s = side_by_side(
                root, ["-p", "no:pyramid", *extra], extra, max(rounds, 1))
            print(f"{tests} generated trivial tests, {label}, side by side, {rounds} rounds:"
                  f" wall {wall:6.3f}x  CPU {cpu:6.3f}x"
                  f"   (median wall {other_s:.1f} s vs bare {base_s:.1f} s)")
            print(f"  load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--rounds", type=int, default=20,
        help="side-by-side rounds (needs 2 CPUs and taskset); 0 skips them",
    )
    parser.add_argument("--startup-only", action="store_true")
    parser.add_argument(
        "--against", type=Path, metavar="DIR",
        help="with the start-up: also this checkout against the pytest_pyramid package in"
             " DIR (e.g. the parent commit's, from git archive), both active, side by side",
    )
    parser.add_argument(
        "--large", type=int, default=0, metavar="N",
        help="only a generated suite of N trivial tests (e.g. 60000), side by side, serial"
             " and under -n 2 (wall and CPU ratios; --rounds rounds)",
    )
    parser.add_argument("--serial-only", action="store_true",
                        help="with --large: the serial comparison only (no -n 2)")
    parser.add_argument("--trivial-only", action="store_true",
                        help="only the 5,000 trivial tests (no start-up, no slow imports)")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.large:
        large(args.large, args.rounds, 1 if args.serial_only else 2)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if not args.trivial_only:
            startup(tmp, args.rounds, args.against)
        if args.startup_only:
            return
        root = Path(tmp, "trivial")
        write_trivial_suite(root, args.tests)
        arms = {
            "bare": ["-p", "no:pyramid"],
            "active": [],
            # per-test limits on every tier (none by default): pytest-timeout's own per-test
            # cost (a signal timer per test) beside the plugin's bookkeeping
            "active, 10s limits": ["--timeout=10"],
        }
        if args.rounds and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
            print(f"{args.tests} trivial tests, side by side on two CPUs, {args.rounds} rounds:")
            # bare against itself first: how far from 1.000x this machine strays on its own
            # pytest's cache off in both arms (LEAN: every run checks [tool.pyramid] against
            # the schema, as a fresh CI checkout does), then on in both
            # (a developer's second run: the table's schema pass is remembered)
            compared = [(name, arm, LEAN) for name, arm in (
                ("bare (noise floor)", arms["bare"]), *arms.items()) if name != "bare"]
            compared.append(("active, cache on", arms["active"], WITH_CACHE))
            for name, arm, lean in compared:
                wall, cpu, base_s, other_s = side_by_side(
                    root, arms["bare"], arm, args.rounds, lean)
                print(
                    f"  {name:<18} vs bare: wall {wall:6.3f}x  CPU {cpu:6.3f}x"
                    f"   (median wall {other_s:.3f} s vs {base_s:.3f} s)"
                )
            print("  target: active <= 1.03x of bare (wall)")
        for cpu in (True, False):
            medians = compare(root, arms, args.repeat, cpu=cpu)
            bare = medians["bare"]
            kind = "CPU" if cpu else "wall"
            print(f"{args.tests} trivial tests, {kind} time, {args.repeat} runs each:")
            for name in arms:
                low, mid = medians[name], medians[f"{name} (median)"]
                print(
                    f"  {name:<18} min {low:6.3f} s {low / bare:6.3f}x"
                    f"   median {mid:6.3f} s {mid / medians['bare (median)']:6.3f}x"
                    f"   per-round median {medians[f'{name} (paired)']:6.3f}x"
                )
        calls(root, arms["bare"])  # rewrites the tests' asserts once: not a cost of either arm
        counted = {name: calls(root, arm) for name, arm in arms.items()}
        print(f"{args.tests} trivial tests, Python function calls (deterministic):")
        for name, value in counted.items():
            print(f"  {name:<20} {value:>11,}  ratio {value / counted['bare']:6.3f}x")

        if args.trivial_only:
            return
        root = Path(tmp, "slow_imports")
        write_slow_import_suite(root)
        medians = compare(root, {"-m unit": ["-m", "unit"], "--tier=fast": ["--tier=fast"]},
                          args.repeat)
        marker, tier = medians["-m unit (median)"], medians["--tier=fast (median)"]
        print(f"400 unit tests + 10 e2e modules taking 0.3 s to import, median of {args.repeat}:")
        print(f"  pytest -m unit      {marker:7.3f} s")
        print(f"  pytest --tier=fast  {tier:7.3f} s")
        print(f"  ratio               {tier / marker:7.3f}x  (lower is better)")


if __name__ == "__main__":
    main()
