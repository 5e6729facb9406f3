"""What noting a followed child's variable reads costs (run on demand, never as tests).

    python benchmarks/bench_child_env_reads.py [--rounds 7] [--children 20]

A test that starts ``--children`` short Python children one after another, each reading a
few variables (one the job set) and exiting: the shape of a CLI test suite (hostile case
344). Three ways for each child, alternating round by round (machine noise hits all alike),
each figure the median of the per-round ratios against following without the reads:

- ``followed, reads noted``: what a followed child runs now (``run/child.py: start``: the
  recorder, and the variable recorder spooling each name it started with);
- ``followed, reads not noted``: the recorder alone (``run/imported.py: follow_child``), as
  before case 344;
- ``not followed``: no recorder at all, for scale.

The children start with ``-S`` and load the recorder themselves, so one interpreter gives
all three (the ``.pth`` line would load it in every child alike).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = str(Path(__file__).resolve().parent.parent)

START = {
    "followed, reads noted": "from pytest_pyramid.run import child; child.start()",
    "followed, reads not noted": (
        "from pytest_pyramid.run import early, imported; early.start(); "
        "imported.follow_child(os.environ['PYRAMID_RECORD_SPOOL'])"),
    "not followed": "pass",
}
BASELINE = "followed, reads not noted"
#: the child's own work: a few reads by the project's code (one the job set)
WORK = "os.environ.get('HOME'); os.environ.get('BENCH_MODE'); os.getenv('BENCH_UNSET')"


def child_program(start: str) -> str:
    return f"import os, sys; sys.path.insert(0, {REPO!r}); {start}; {WORK}"


def a_test(start: str, children: int, env: dict[str, str]) -> float:
    """One test's wall time: ``children`` children, one after another."""
    program = child_program(start)
    begin = time.perf_counter()
    for _ in range(children):
        subprocess.run([sys.executable, "-S", "-c", program], env=env, check=True)
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--children", type=int, default=20)
    args = parser.parse_args()
    spool = tempfile.mkdtemp(prefix="pyramid-forks-")
    scope = {"spool": spool, "root": REPO, "project": REPO, "started_ns": time.time_ns()}
    env = {**os.environ, "BENCH_MODE": "1", "PYRAMID_RECORD_SPOOL": json.dumps(scope)}
    seconds: dict[str, list[float]] = {label: [] for label in START}
    try:
        a_test(START[BASELINE], 2, env)  # warm the file cache
        for _ in range(args.rounds):
            for label, start in START.items():
                seconds[label].append(a_test(start, args.children, env))
    finally:
        spooled = sum(1 for _ in Path(spool).glob("*.jsonl"))
        shutil.rmtree(spool, ignore_errors=True)
    print(f"{args.rounds} rounds of a test starting {args.children} Python children "
          f"({spooled} spool files written)")
    for label in START:
        ratios = [mine / base for mine, base in zip(seconds[label], seconds[BASELINE],
                                                     strict=True)]
        print(f"{label:28} {statistics.median(seconds[label]) * 1000:8.0f} ms per test   "
              f"/ {BASELINE}: {statistics.median(ratios):5.2f}")


if __name__ == "__main__":
    main()
