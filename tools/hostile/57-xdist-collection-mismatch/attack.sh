#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Under -n 2, parametrization depends on the worker (env-dependent ids: e.g. a set of temp paths or
# hash-ordered values), so the workers collect DIFFERENT tests; xdist aborts the run.
# Expected: incomplete (never ready).
base_project
w tests/unit/test_param.py <<'X'
import os, pytest
W = os.environ.get("PYTEST_XDIST_WORKER", "main")

@pytest.mark.parametrize("case", ["a", "b", W])
def test_case(case):
    assert case
X
commit init
"$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -4 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
