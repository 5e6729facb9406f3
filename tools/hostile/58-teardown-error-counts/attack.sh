#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test passes its call phase but its fixture teardown raises; pytest reports "N passed, 1 error".
# Expected: blocked, and the tier counts agree with pytest (the test is an error; pass-rate counts it).
base_project
w tests/unit/test_td.py <<'X'
import pytest

@pytest.fixture
def res():
    yield 1
    raise RuntimeError("cleanup failed: connection leak")

def test_uses_res(res):
    assert res == 1
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
if [ "$(decision)" = ready ]; then echo "RESULT: FALSE-READY"
else e=$(jget pyramid-verdict.json tiers.unit.errors); p=$(jget pyramid-verdict.json tiers.unit.passed)
  [ "$e" = 1 ] && echo "RESULT: HELD (unit passed=$p errors=$e)" || echo "RESULT: WRONG-FIELD tiers.unit.errors=$e passed=$p (pytest: 1 error)"; fi
