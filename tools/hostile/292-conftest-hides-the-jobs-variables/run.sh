#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Case 254's fix takes the environment the gates and the run identity read before the first
# conftest is imported (`run/stash.py: started_environ`). The invocation table's own judgement
# of the job's variables (`invocation._judge_environment`) still reads `os.environ` at
# pytest_configure, after the initial conftests ran. Variables that act at the interpreter's
# start (`LD_PRELOAD`: already loaded; `PYTHONPATH`: already on sys.path) keep acting when a
# tracked conftest removes them from os.environ, an everyday hygiene step ("don't hand the
# preload / our PYTHONPATH to the subprocesses the tests start").
# Rows: (a) control: `LD_PRELOAD=` a clock shift of -400 days (case 253's stand-in for
# libfaketime), an expired quarantine entry excuses a failing test: judged, incomplete;
# (b) (a) with the tracked root conftest `os.environ.pop("LD_PRELOAD", None)`;
# (c) control: `PYTHONPATH=<outside>` holding `helpers.py`, which a test imports (a clean
# clone has none: ImportError); (d) (c) with the conftest popping `PYTHONPATH`.
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
printf 'def test_broken():\n    assert False, "real bug"\n' > tests/integration/test_broken.py
cat >> pyproject.toml <<'X'

[[tool.pyramid.quarantine]]
test = "tests/integration/test_broken.py::test_broken"
owner = "alice"
expires = 2026-01-01
reason = "flaky infra"
X
commit init
mkdir -p "$W/lib"
cat > "$W/lib/shift.c" <<'X'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
static int (*real_cg)(clockid_t, struct timespec *);
int clock_gettime(clockid_t id, struct timespec *ts) {
    if (!real_cg) real_cg = dlsym(RTLD_NEXT, "clock_gettime");
    int r = real_cg(id, ts);
    if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec -= 400L * 86400L;
    return r;
}
X
gcc -shared -fPIC -O2 -o "$W/lib/shift.so" "$W/lib/shift.c" -ldl || { echo "RESULT: VACUOUS (no compiler)"; exit; }
erow() {  # erow LABEL VAR=VALUE (conftest body on stdin)
  local label=$1 assign=$2; w conftest.py; commit "conftest $label"
  env "$assign" "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $label: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$label.out" | cut -c1-70) | created_at=$(jget pyramid-verdict.json created_at) | $(show | grep -m1 -E 'problem|reason' | cut -c1-140)"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
erow a "LD_PRELOAD=$W/lib/shift.so" </dev/null
erow b "LD_PRELOAD=$W/lib/shift.so" <<'X'
import os
os.environ.pop("LD_PRELOAD", None)  # the tests' subprocesses run without it
X
git rm -q tests/integration/test_broken.py
"$PY" - <<'X'
import re, pathlib
p = pathlib.Path("pyproject.toml"); p.write_text(p.read_text().split("[[tool.pyramid.quarantine]]")[0])
X
w tests/integration/test_helpers.py <<'X'
import helpers
def test_helpers():
    assert helpers.ANSWER == 42
X
mkdir -p "$W/outside"; echo "ANSWER = 42" > "$W/outside/helpers.py"
commit helpers
erow c "PYTHONPATH=$W/outside" </dev/null
erow d "PYTHONPATH=$W/outside" <<'X'
import os
os.environ.pop("PYTHONPATH", None)  # the tests' subprocesses start clean
X
if echo "$BROKEN_ROWS" | grep -qwE 'a|c'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a judgement-changing variable of the job, removed from os.environ by a tracked conftest at import, is not judged (the table reads os.environ at configure) while it still acts: ready)"
else echo "RESULT: HELD"; fi
