"""What recording the environment's reads costs (run on demand, never as tests).

    python benchmarks/bench_env_reads.py [--rounds 15] [--number 20000]

``run/env_reads.py`` swaps ``os.environ``'s class while a run records. Measured in one
process, the bare class and the recording one alternating round by round (machine noise hits
both alike), each figure the median of the per-round ratios recording / bare:

- a read by name of a variable already noted (the hot path: one set lookup more);
- a read by name of a variable the project's code never reads (pytest's, a library's):
  a frame walk, answered from the per-file cache;
- ``os.environ.copy()`` by the project's code (every name handed out as ``HandedName``);
- a lookup in such a copy (a Python-level ``__eq__`` on the hash's match);
- ``os.environ.copy()`` by a library (plain names: one frame walk per iteration);
- ``os.path.expandvars`` of 20 variables for the project's code (hostile cases 311, 340): a
  library's read walks out to the project's frame on a name's first read, then is one set
  lookup; "first reads" forgets the names before each call, so every read walks.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_pyramid.run import env_reads

HERE = os.path.abspath(__file__)


def cases() -> dict[str, tuple[str, dict[str, object]]]:
    return {
        "read by name, noted before": ("get('BENCH_NOTED')", {"get": os.environ.get}),
        "read by name, not the project's": ("read('BENCH_OTHER')", {"read": _library_read}),
        "os.environ.copy() by the project": ("copy()", {"copy": os.environ.copy}),
        "lookup in the project's copy": ("c.get('BENCH_NOTED')", {"c": None}),
        "os.environ.copy() by a library": ("lib_copy()", {"lib_copy": _library_copy}),
        "expandvars of 20 names for the project": (
            "expand(TEXT)", {"expand": os.path.expandvars, "TEXT": TEXT}),
        "expandvars of 20 names, first reads": (
            "forget(); expand(TEXT)", {"expand": os.path.expandvars, "TEXT": TEXT,
                                       "forget": _forget}),
    }


#: a configuration value naming 20 variables, as a settings file's ``${...}`` might
NAMES = [f"BENCH_V{i}" for i in range(20)]
TEXT = " ".join(f"${{{name}}}" for name in NAMES)
#: the recording sink (its names forgotten by the "first reads" case)
SINK = env_reads.Sink(lambda path: path if path in (HERE, "<timeit-src>") else None)


def _forget() -> None:
    SINK.names.difference_update(NAMES)


# a library's calls, made for pytest (a caller compiled under a file of the harness: the walk
# stops there), under a file that is not the project's ("<...>" text is the project's: 343)
_LIBRARY = compile("def _library_read(n):\n    return environ.get(n)\n"
                   "def _library_copy():\n    return environ.copy()\n",
                   "/site-packages/library.py", "exec")
_HARNESS = compile("def _read(n):\n    return library_read(n)\n"
                   "def _copy():\n    return library_copy()\n",
                   os.path.join(env_reads._HARNESS[0], "bench.py"), "exec")
_NAMESPACE: dict[str, object] = {"environ": os.environ}
exec(_LIBRARY, _NAMESPACE)
_NAMESPACE.update(library_read=_NAMESPACE["_library_read"],
                  library_copy=_NAMESPACE["_library_copy"])
exec(_HARNESS, _NAMESPACE)
_library_read = _NAMESPACE["_read"]
_library_copy = _NAMESPACE["_copy"]


def measure(statement: str, namespace: dict[str, object], number: int) -> float:
    if "c" in namespace:
        namespace = {**namespace, "c": os.environ.copy()}  # handed names while recording
    # CPU time of this process: 8 engineers share 2 cores, and wall-clock waits for them
    return min(timeit.repeat(statement, globals=namespace, number=number, repeat=3,
                             timer=time.process_time)) / number


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args()
    os.environ["BENCH_NOTED"] = os.environ["BENCH_OTHER"] = "1"
    os.environ.update(dict.fromkeys(NAMES, "1"))
    table = cases()
    ratios: dict[str, list[float]] = {label: [] for label in table}
    bare_ns: dict[str, list[float]] = {label: [] for label in table}
    sink = SINK
    for _ in range(args.rounds):
        for label, (statement, namespace) in table.items():
            bare = measure(statement, namespace, args.number)
            env_reads.start(sink)
            try:
                os.environ.get("BENCH_NOTED")
                recording = measure(statement, namespace, args.number)
            finally:
                env_reads.stop(sink)
            ratios[label].append(recording / bare)
            bare_ns[label].append(bare * 1e9)
    print(f"{len(os.environ)} variables, {args.rounds} rounds of {args.number}")
    for label in table:
        print(f"{label:36} bare {statistics.median(bare_ns[label]):9.0f} ns   "
              f"recording / bare {statistics.median(ratios[label]):5.2f}")


if __name__ == "__main__":
    main()
