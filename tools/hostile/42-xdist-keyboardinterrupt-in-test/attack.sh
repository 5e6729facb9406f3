#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Under `-n 2`, code under test raises KeyboardInterrupt inside a worker (e.g. a signal handler of the
# library, or a subprocess helper re-raising). Several other tests follow in the same tier.
# Expected: interrupted / tests never reported -> incomplete (never ready).
base_project
w mypkg/runner.py <<'X'
def run():
    raise KeyboardInterrupt("child interrupted")
X
w tests/unit/test_runner.py <<'X'
from mypkg.runner import run

def test_run():
    run()
X
for i in 1 2 3 4 5 6; do printf 'import time\n\ndef test_more_%s():\n    time.sleep(0.3)\n    assert False\n' $i > tests/unit/test_more_$i.py; done
commit init
"$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -5 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
