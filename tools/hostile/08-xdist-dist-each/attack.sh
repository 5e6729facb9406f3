#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# CI passes `-n 2 --dist each`: every test runs on every worker. A test fails on one worker only
# (environment-dependent). Expected: blocked (one of its runs failed).
base_project
w tests/unit/test_env.py <<'X'
import os

def test_worker_dependent():
    assert os.environ.get("PYTEST_XDIST_WORKER") != "gw1", "fails on gw1"
X
commit init
"$PY" -m pytest -q -p no:cacheprovider -n 2 --dist each > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -8 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
