#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The invocation table judges the variables "pytest, Python or the plugins read" by prefix
# (PYTEST_, PYTHON, PYRAMID_). The dynamic loader reads the environment before Python does:
# LD_PRELOAD (LD_LIBRARY_PATH, LD_AUDIT...) puts native code into the interpreter that runs
# the tests *and* the judgement. libfaketime is the everyday case (CI jobs that test dates);
# here a 20-line stand-in shifts CLOCK_REALTIME back 400 days. The clock "bound at import"
# (durations.now) is the interpreter's time.time, which the preloaded library answers.
# The tracked quarantine excuses a failing test until 2026-01-01 (expired today: blocked).
# Rows: (a) control; (b) LD_PRELOAD=<faketime stand-in> from the job's environment.
# Expected: (a), (b) blocked (or (b) incomplete naming LD_PRELOAD).
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
#include <sys/time.h>
static int (*real_cg)(clockid_t, struct timespec *);
int clock_gettime(clockid_t id, struct timespec *ts) {
    if (!real_cg) real_cg = dlsym(RTLD_NEXT, "clock_gettime");
    int r = real_cg(id, ts);
    if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec -= 400L * 86400L;
    return r;
}
X
gcc -shared -fPIC -O2 -o "$W/lib/shift.so" "$W/lib/shift.c" -ldl || { echo "RESULT: VACUOUS (no compiler)"; exit; }
echo "shifted clock: $(LD_PRELOAD=$W/lib/shift.so "$PY" -c 'import datetime; print(datetime.date.today())')"
q() { "$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x.get("id")=="tests.quarantine"]; print("   tests.quarantine:", g and (g[0].get("status"), g[0].get("message","")[:120]), "| created_at:", v.get("created_at"), "| env:", sorted((v.get("run") or {}).get("invocation", {}).get("environment", {})))'; }
"$PY" -m pytest -q -p no:cacheprovider > "$W/a.out" 2>&1; d=$(decision); echo "row a: decision=$d"; q
[ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS a"
LD_PRELOAD="$W/lib/shift.so" "$PY" -m pytest -q -p no:cacheprovider > "$W/b.out" 2>&1; d=$(decision); echo "row b: decision=$d"; q
[ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS b"
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: LD_PRELOAD from the environment (not judged) moved the judgement's clock: an expired quarantine entry excused a failure: ready)"
else echo "RESULT: HELD"; fi
