"""Cost of per-tier coverage, on demand (not a test): ``python benchmarks/bench_coverage.py``.

Generates a project with 2,400 tiny tests in three tiers and times, interleaved in the same
run, the median wall time of N runs of each variant:

* ``plain``      ``pytest --cov`` without pytest-pyramid
* ``pyramid``    pytest-pyramid active with ``--cov``, coverage plugin unregistered
* ``per-tier``   pytest-pyramid with per-tier coverage gates (context switch per tier change)
* ``per-test``   ``pytest --cov --cov-context=test`` without pytest-pyramid

Targets (issue 3): per-tier <= 1.10x plain ``--cov``; clearly faster than per-test contexts.
Every variant disables plugin autoloading and loads the same plugins, so installed but
unrelated plugins (hypothesis, schemathesis ...) do not add noise.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULES = 20
TIERS = {"unit": (40, 40), "integration": (20, 30), "e2e": (5, 40)}  # files, tests per file

SOURCE = """\
def classify_{n}(x):
    if x < 0:
        return "neg"
    if x == 0:
        return "zero"
    if x % 2:
        return "odd"
    return "even"


def total_{n}(items):
    acc = 0
    for item in items:
        if item > 10:
            acc += item * 2
        else:
            acc += item
    return acc


class Store{n}:
    def __init__(self):
        self.data = {{}}

    def put(self, key, value):
        self.data[key] = value
        return len(self.data)

    def get(self, key, default=None):
        return self.data.get(key, default)
"""

TEST = """\
from benchpkg import m{m} as mod


def _check(i):
    assert mod.classify_{m}(i - 3) in ("neg", "zero", "odd", "even")
    assert mod.total_{m}([i, i + 11]) > 0
    store = mod.Store{m}()
    assert store.put(i, i) == 1


"""

CONFTEST = """\
import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from pytest_pyramid.gates.cov.plugin import PLUGIN_NAME, register_coverage
    from pytest_pyramid.run.stash import SETTINGS_KEY

    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None:
        return
    if os.environ.get("BENCH_NO_COV_PLUGIN"):
        plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)
        return
    register_coverage(config, settings)
"""

PYPROJECT = """\
[tool.pyramid]
coverage_source = ["benchpkg"]
verdict = "verdict.json"
[tool.pyramid.tiers.unit]
coverage = 10
[tool.pyramid.tiers.integration]
coverage = 10
[tool.pyramid.tiers.e2e]
coverage = 10
[tool.pyramid.coverage]
total = 10
"""


def generate(root: Path) -> int:
    pkg = root / "benchpkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for n in range(MODULES):
        (pkg / f"m{n}.py").write_text(SOURCE.format(n=n))
    count = 0
    for tier, (files, per_file) in TIERS.items():
        folder = root / "tests" / tier
        folder.mkdir(parents=True)
        for f in range(files):
            m = (f * 7 + len(tier)) % MODULES
            body = TEST.format(m=m)
            body += "".join(
                f"def test_{tier}_{f}_{i}():\n    _check({i})\n\n\n" for i in range(per_file)
            )
            (folder / f"test_{tier}_{f}.py").write_text(body)
            count += per_file
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "conftest.py").write_text(CONFTEST)
    return count


COMMON = [
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "pytest_cov.plugin",
    "--cov=benchpkg",
    "--cov-report=",
]
VARIANTS: dict[str, tuple[list[str], dict[str, str]]] = {
    "plain": ([], {}),
    "pyramid": (["-p", "pytest_pyramid.plugin"], {"BENCH_NO_COV_PLUGIN": "1"}),
    "per-tier": (["-p", "pytest_pyramid.plugin"], {}),
    "per-test": (["--cov-context=test"], {}),
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(root: Path, name: str, extra: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system of pytest and its workers) of one run."""
    args, env_extra = VARIANTS[name]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **env_extra}
    env.pop("COV_CORE_SOURCE", None)
    for stale in root.glob(".coverage*"):
        stale.unlink()
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *COMMON, *args, *extra],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if proc.returncode not in (0, 1):  # 1: a gate may block; the timing still counts
        raise SystemExit(
            f"{name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--repeat", type=int, default=5, help="runs per variant (median)")
    parser.add_argument("--xdist", type=int, default=0, help="also pass -n WORKERS to pytest")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    options = parser.parse_args()
    extra = ["-p", "xdist.plugin", "-n", str(options.xdist)] if options.xdist else []

    root = Path(tempfile.mkdtemp(prefix="bench-cov-"))
    try:
        count = generate(root)
        print(f"generated {count} tests in {root}; {options.repeat} runs per variant")
        walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
        cpus: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for name in VARIANTS:  # warm-up: bytecode caches, file system caches
            run_once(root, name, extra)
        for _ in range(options.repeat):
            for name in VARIANTS:  # interleaved, so drift in machine load hits all alike
                wall, cpu = run_once(root, name, extra)
                walls[name].append(wall)
                cpus[name].append(cpu)
        for label, table in (("wall", walls), ("cpu", cpus)):
            medians = {name: statistics.median(values) for name, values in table.items()}
            print(f"-- {label} time, median of {options.repeat}")
            for name, value in medians.items():
                spread = ", ".join(f"{v:.2f}" for v in table[name])
                print(f"{name:<9} {value:6.2f} s   ({spread})")
            plain, pyramid = medians["plain"], medians["pyramid"]
            tier, test = medians["per-tier"], medians["per-test"]
            print(f"per-tier / plain --cov        = {tier / plain:.3f}x")
            print(f"per-tier / pyramid + --cov    = {tier / pyramid:.3f}x")
            print(f"per-test / plain --cov        = {test / plain:.3f}x")
            print(f"per-test contexts / per-tier  = {test / tier:.3f}x")
        data = root / ".coverage"
        if data.exists():
            print(f"last data file (per-test): {data.stat().st_size / 1024:.0f} KiB")
    finally:
        if options.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
