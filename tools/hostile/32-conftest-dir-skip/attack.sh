#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# tests/e2e/conftest.py skips the whole folder when E2E_URL is not set (a common pattern). On the CI
# machine the variable is missing, so no e2e test runs; the unit/integration tiers pass.
# Expected: incomplete (required tier e2e has files on disk but did not run).
base_project
w tests/e2e/conftest.py <<'X'
import os, pytest
if not os.environ.get("E2E_URL"):
    pytest.skip("E2E_URL not set", allow_module_level=True)
X
w tests/e2e/test_flow.py <<'X'
def test_flow():
    assert False, "e2e broken"
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | grep -v "tier \(contract\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
