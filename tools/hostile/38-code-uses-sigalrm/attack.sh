#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# unit tier: hard per-test limit 1s (pytest-timeout, signal method). The code under test uses SIGALRM
# for its own deadline (signal.signal + signal.setitimer, very common in older libraries), which
# replaces/cancels the per-test timer. The test runs 2.5 s and passes.
# Expected: the configured limit was not enforced -> incomplete, or the test fails.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.unit]
test_timeout = "1s"
X
w mypkg/deadline.py <<'X'
import signal, time

class Deadline(Exception):
    pass

def slow_job(seconds):
    def on_alarm(signum, frame):
        raise Deadline()
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 10.0)
    try:
        time.sleep(seconds)
        return "done"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
X
w tests/unit/test_deadline.py <<'X'
from mypkg.deadline import slow_job

def test_slow_job():
    assert slow_job(2.5) == "done"
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
echo "unit test_timeout_s=$(jget pyramid-verdict.json tiers.unit.test_timeout_s) slowest=$(jget pyramid-verdict.json tiers.unit.slowest.0)"
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
