#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 14 on the environment reads attributed to the nearest project frame (run/env_reads.py:
# asker, hostile cases 311/340): a read belongs to the nearest frame of its call chain that is
# the project's. A read made in a worker thread has no project frame in its chain when the
# project hands the thread a library callable itself (`executor.submit(os.getenv, name)`,
# `Thread(target=partial(os.environ.get, name))`, `loop.run_in_executor(None, os.getenv, name)`):
# the thread's stack is threading -> concurrent.futures -> os. A project that reads its
# settings concurrently (a settings loader fanning out over a list of names) skips its failing
# work on MYPKG_LENIENT from the CI job.
# Rows: (c) control: the same read in the main thread (`map(os.getenv, names)`): not ready;
# (a) ThreadPoolExecutor.submit(os.getenv, ...); (b) ThreadPoolExecutor.map(os.getenv, names);
# (d) asyncio run_in_executor(None, os.getenv, ...); (e) control: a project lambda in the
# thread calls partial(os.environ.get, ...) (a project frame in the chain); (z) control: (a)
# without the variable (blocked: the bug shows).
# Expected: no row `ready` (a job's variable decided a failing test's outcome).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w mypkg/settings.py <<'X'
import asyncio
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

NAMES = ["MYPKG_LENIENT"]


def main_thread() -> dict:
    return dict(zip(NAMES, map(os.getenv, NAMES)))


def pooled() -> dict:
    with ThreadPoolExecutor(max_workers=2) as ex:
        return dict(zip(NAMES, [ex.submit(os.getenv, n).result() for n in NAMES]))


def threaded() -> dict:
    out: dict = {}
    for n in NAMES:
        box: list = []
        t = threading.Thread(target=lambda f=functools.partial(os.environ.get, n), b=box: b.append(f()))
        t.start(); t.join()
        out[n] = box[0]
    return out


def mapped() -> dict:
    with ThreadPoolExecutor(max_workers=2) as ex:
        return dict(zip(NAMES, ex.map(os.getenv, NAMES)))


def in_loop() -> dict:
    async def load() -> dict:
        loop = asyncio.get_running_loop()
        return dict(zip(NAMES, await asyncio.gather(*(loop.run_in_executor(None, os.getenv, n) for n in NAMES))))
    return asyncio.run(load())
X
w mypkg/work.py <<'X'
def result(settings: dict) -> int:
    broken = True  # a real bug the test shows
    if broken and not settings.get("MYPKG_LENIENT"):
        return 1
    return 0
X
commit init
r=""
one() { local label=$1 loader=$2; shift 2
  w tests/integration/test_work.py <<X
from mypkg import settings, work

def test_work():
    assert work.result(settings.$loader()) == 0
X
  commit "row $label"
  env "$@" "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/show-$label.out"; grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-160)"
  [ "$d" = ready ] && r="$r $label"; }
one c main_thread MYPKG_LENIENT=1
one a pooled MYPKG_LENIENT=1
one b mapped MYPKG_LENIENT=1
one e threaded MYPKG_LENIENT=1
one d in_loop MYPKG_LENIENT=1
one z pooled X_UNUSED=1
if echo "$r" | grep -qwE 'c|e|z'; then echo "RESULT: VACUOUS (a control row was ready:$r)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a job's variable read in a worker thread with no project frame in its chain decided a failing test: ready)"
else echo "RESULT: HELD"; fi
