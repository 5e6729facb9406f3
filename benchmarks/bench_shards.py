"""CI shard benchmarks (run on demand, never as tests).

    python benchmarks/bench_shards.py [--tests 20000] [--merge-tests 50000] [--partials 20]

1. Balance. A synthetic 20,000-test suite with a skewed durations file: log-normal test
   times per tier (unit ~10 ms, integration ~150 ms, e2e ~1.5 s median) and a few heavy
   modules whose module fixture takes 5-30 s. pytest bills a module fixture's setup to the
   first test of the module that runs in a process, so a module split over k shards pays it
   k times. Each shard's *predicted* time is computed with that model - the tests' own
   times plus every heavy module's setup once per shard that runs any of its tests - for
   pytest-pyramid's split and for pytest-split's ``least_duration`` and
   ``duration_based_chunks`` on the same recorded durations (pytest-split reads one number
   per test: its recorded setup + call + teardown). Reported: longest shard / mean shard.

2. Merge. 20 partial results of a 50,000-test suite (records, metric samples; no coverage
   data: combining coverage is coverage.py's work, measured elsewhere), merged end to end
   with ``pyramid merge`` (read, validate, check the set, fold, judge, write the verdict and
   the durations file). Median of 5.

pytest-split is not a dependency: ``pip install pytest-split`` to get its columns.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_pyramid.run.shard import Durations, assign, scope_keys

TIERS = ("unit", "integration", "e2e")
SHARE = {"unit": 0.75, "integration": 0.2, "e2e": 0.05}
MEDIAN_S = {"unit": 0.01, "integration": 0.15, "e2e": 1.5}
PER_MODULE = 40
HEAVY_MODULES = 6
#: a heavy module fixture: a database or a browser farm to start
HEAVY_SETUP_S = (5.0, 30.0)


Suite = tuple[dict[str, str], Durations, dict[str, float], dict[str, float]]


def synthetic_suite(tests: int, seed: int = 13) -> Suite:
    """(node id -> tier, recorded durations, own time per test, shared setup per module)."""
    rng = random.Random(seed)
    selection: dict[str, str] = {}
    own: dict[str, float] = {}
    for tier in TIERS:
        count = int(tests * SHARE[tier])
        for n in range(count):
            nodeid = f"tests/{tier}/test_{tier}_{n // PER_MODULE:04d}.py::test_{n:05d}"
            selection[nodeid] = tier
            own[nodeid] = rng.lognormvariate(math.log(MEDIAN_S[tier]), 1.0)
    modules = sorted({nodeid.split("::")[0] for nodeid in selection})
    heavy_pool = [m for m in modules if "/integration/" in m or "/e2e/" in m]
    shared = {m: rng.uniform(*HEAVY_SETUP_S) for m in rng.sample(heavy_pool, HEAVY_MODULES)}
    recorded: dict[str, tuple[str, float, float, float]] = {}
    first_seen: set[str] = set()
    for nodeid in selection:  # one recorded run: each heavy module's first test paid its setup
        module = nodeid.split("::")[0]
        setup = 0.0
        if module in shared and module not in first_seen:
            first_seen.add(module)
            setup = shared[module]
        recorded[nodeid] = (selection[nodeid], setup, own[nodeid], 0.0)
    return selection, Durations(recorded, dict(shared)), own, shared


def predicted(shards: list[list[str]], own: dict[str, float],
              shared: dict[str, float]) -> list[float]:
    """Each shard's time: its tests' own time, plus each heavy module's setup once per shard."""
    loads = []
    for ids in shards:
        modules = {nodeid.split("::")[0] for nodeid in ids}
        loads.append(math.fsum(own[n] for n in ids) + sum(shared.get(m, 0.0) for m in modules))
    return loads


def ratio(loads: list[float]) -> float:
    return max(loads) / (sum(loads) / len(loads))


class _Item:
    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid


def pytest_split_groups(algorithm: str, selection: dict[str, str], durations: Durations,
                        shards: int) -> list[list[str]] | None:
    try:
        from pytest_split.algorithms import Algorithms
    except ImportError:
        return None
    items = [_Item(nodeid) for nodeid in selection]  # collection order: module by module
    flat = {nodeid: durations.cost(nodeid) or 0.0 for nodeid in selection}
    groups = Algorithms[algorithm].value(shards, items, flat)  # type: ignore[arg-type]
    return [[item.nodeid for item in group.selected] for group in groups]


def bench_balance(tests: int) -> None:
    selection, durations, own, shared = synthetic_suite(tests)
    total = math.fsum(own.values()) + sum(shared.values())
    print(f"balance: {len(selection):,} tests, {len(set(scope_keys(n)[0] for n in selection))} "
          f"modules, {HEAVY_MODULES} with a 5-30 s module fixture; {total:,.0f} s of work")
    print(f"{'shards':>6}  {'pytest-pyramid':>15}  {'least_duration':>15}  "
          f"{'duration_based_chunks':>22}  {'split time':>10}")
    for shards in (4, 8):
        start = time.perf_counter()
        ours = assign(selection, durations, shards, TIERS)
        elapsed = time.perf_counter() - start
        row = [f"{ratio(predicted(ours.shards, own, shared)):.4f}"]
        for algorithm in ("least_duration", "duration_based_chunks"):
            groups = pytest_split_groups(algorithm, selection, durations, shards)
            row.append("n/a" if groups is None else f"{ratio(predicted(groups, own, shared)):.4f}")
        print(f"{shards:>6}  {row[0]:>15}  {row[1]:>15}  {row[2]:>22}  {elapsed * 1000:>8.0f}ms")
    print("(longest predicted shard / mean shard; 1.0000 is a perfect split)")


def synthetic_partials(root: Path, tests: int, partials: int) -> list[Path]:
    """Partial results of one run split ``partials`` ways, as shards would write them."""
    from pytest_pyramid._files import write_json_atomic
    from pytest_pyramid.config import read_pyproject_table
    from pytest_pyramid.run.shard import selection_digest
    from pytest_pyramid.verdict.document import config_digest
    from pytest_pyramid.verdict.partial import partial_name, placeholder_partial

    (root / "pyproject.toml").write_text("[tool.pyramid]\n[tool.pyramid.thresholds]\n"
                                         '"api.ms" = "p95 < 900"\n')
    table = read_pyproject_table(root / "pyproject.toml") or {}
    rng = random.Random(5)
    selection = {f"tests/{t}/test_{t}_{n // 50:04d}.py::test_{n}": t
                 for t, count in (("unit", int(tests * 0.8)), ("integration", tests // 5))
                 for n in range(count)}
    ids = sorted(selection)
    # a full run selects every configured tier (the built-in six here)
    from pytest_pyramid.config import BUILTIN_TIERS

    ALL_TIERS = list(BUILTIN_TIERS)
    digest = selection_digest(ids)
    per_tier = {t: sum(1 for v in selection.values() if v == t) for t in TIERS}
    paths = []
    for index in range(1, partials + 1):
        mine = ids[index - 1::partials]
        document: dict[str, Any] = placeholder_partial(index, partials, f"{index}/{partials}",
                                                       "", environ={})
        records = [{"nodeid": n, "tier": selection[n], "outcome": "passed",
                    "setup_s": 0.0001, "call_s": round(rng.random() / 2000, 6),
                    "teardown_s": 0.0001} for n in mine]
        document.update({
            "finished": True, "commit": None, "commit_time": None, "branch": None,
            "dirty": None, "tree": {"digest": None, "head": None, "excluded": []},
            "config": {"file": "pyproject.toml", "digest": config_digest(table)},
            "python": sys.version.split()[0], "pytest": "bench",
            "selection": {"digest": digest, "count": len(ids), "tiers": per_tier,
                          "selected_tiers": ALL_TIERS, "durations": None,
                          "durations_digest": None, "units": len(ids), "estimated": len(ids),
                          "predicted_s": []},
            "tests": records, "not_reported": [], "assigned": len(mine),
            "tiers": {t: {"selected": True, "collected": per_tier[t], "deselected": 0,
                          "paths_not_collected": 0, "files_on_disk": 0, "skipped_modules": 0,
                          "never_ran": 0,
                          "test_time_s": sum(r["call_s"] for r in records if r["tier"] == t),
                          "wall_time_s": 1.0, "budget_s": None, "test_timeout_s": None,
                          "slowest": []} for t in TIERS},
            "metrics": [{"name": "api.ms", "value": rng.random() * 500, "tier": "integration",
                         "nodeid": n, "tags": {}} for n in mine if selection[n] == "integration"],
            "metrics_discarded": [], "scope_setup": {},
            "run": {"exitstatus": 0, "interrupted": False, "tests_failed": 0, "workers": 0,
                    "failed_reports": 0, "collection_errors": 0,
                    "duration_s": 1.0, "args": [], "filtered": [], "required": ["unit"]},
            "completeness": [], "coverage": None, "sections": {}, "plugin_gates": [],
            "diff_base": None,
        })
        path = root / "partials" / partial_name(index, partials)
        write_json_atomic(path, document)
        paths.append(path)
    return paths


def bench_merge(tests: int, partials: int, repeat: int = 5) -> None:
    from pytest_pyramid.verdict.merge import run_merge

    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp:
        root = Path(tmp)
        paths = synthetic_partials(root, tests, partials)
        size = sum(p.stat().st_size for p in paths)
        times, cpu = [], []
        for _ in range(repeat + 1):  # the first run imports and warms the caches
            start, start_cpu = time.perf_counter(), time.process_time()
            outcome = run_merge([root / "partials"], cwd=root, run_id="bench")
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        verdict = json.loads(outcome.verdict_path.read_text())
        assert verdict["shards"]["total"] == partials
        assert sum(s["tests"] for s in verdict["shards"]["shards"]) == tests
        print(f"merge: {partials} partials of a {tests:,}-test suite ({size / 1e6:.1f} MB), "
              f"decision {verdict['decision']}")
        print(f"  wall: median {statistics.median(times[1:]):.3f} s, min {min(times[1:]):.3f} s"
              f" (first, cold: {times[0]:.3f} s)")
        print(f"  CPU:  median {statistics.median(cpu[1:]):.3f} s, min {min(cpu[1:]):.3f} s "
              "(steadier on a shared machine)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=20_000)
    parser.add_argument("--merge-tests", type=int, default=50_000)
    parser.add_argument("--partials", type=int, default=20)
    args = parser.parse_args()
    bench_balance(args.tests)
    print()
    bench_merge(args.merge_tests, args.partials)


if __name__ == "__main__":
    main()
