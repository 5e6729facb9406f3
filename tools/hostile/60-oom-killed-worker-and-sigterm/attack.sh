#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# (a) Under -n 2 a worker is SIGKILLed (OOM killer) while running a test; xdist restarts it.
# (b) A serial run is SIGTERMed by the CI (job cancelled) after a previous run left a `ready` verdict.
# Expected: incomplete both times (never ready).
base_project
for i in 1 2 3 4; do printf 'import time\n\ndef test_u%s():\n    time.sleep(0.2)\n' $i > tests/unit/test_u$i.py; done
w tests/unit/test_oom.py <<'X'
import os, signal

def test_big_alloc():
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.kill(os.getpid(), signal.SIGKILL)
X
w tests/integration/test_slow.py <<'X'
import os, time

def test_slow():
    if os.environ.get("SLOW"):
        time.sleep(30)
X
commit init
R=HELD
"$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/pytest.out" 2>&1; echo "(a) pytest exit=$? decision=$(decision) reasons=$(jget pyramid-verdict.json reasons | head -c 200)"
[ "$(decision)" = ready ] && R="FALSE-READY (a)"
"$PY" -m pytest -q -p no:cacheprovider > /dev/null 2>&1; echo "previous run: $(decision)"
SLOW=1 "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest2.out" 2>&1 &
P=$!; sleep 6; kill -TERM $P; wait $P; echo "(b) pytest exit=$? decision=$(decision)"
[ "$(decision)" = ready ] && { [ "$R" = HELD ] && R="FALSE-READY (b)" || R="$R (b)"; }
echo "RESULT: $R"
