#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# unit tier limit 1s; the CI environment has PYTEST_TIMEOUT=30 (pytest-timeout's env default, set
# globally for another project). A test takes 2 s. Expected: killed -> blocked, or incomplete
# ("configured limits that were not enforced").
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.unit]
test_timeout = "1s"
X
w tests/unit/test_slow.py <<'X'
import time

def test_slow():
    time.sleep(2)
X
commit init
echo "--- control (no env):"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
echo "--- PYTEST_TIMEOUT=30:"
PYTEST_TIMEOUT=30 "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; grep -i timeout "$W/pytest.out" | head -3; tail -4 "$W/pytest.out"
show; check
echo "unit test_timeout_s=$(jget pyramid-verdict.json tiers.unit.test_timeout_s)"
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
