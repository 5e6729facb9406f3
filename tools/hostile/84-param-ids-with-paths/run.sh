#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Counts per tier when parameter ids look like node ids of another tier ("::", "/", "tests/integration").
# Expected: unit 4 collected/passed, integration 1.
base_project
w tests/unit/test_ids.py <<'X'
import pytest

@pytest.mark.parametrize("x", [1, 2, 3], ids=["tests/integration/test_int.py::test_int", "a::b", "../e2e/x"])
def test_p(x):
    assert x
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show
u=$(jget pyramid-verdict.json tiers.unit.passed); i=$(jget pyramid-verdict.json tiers.integration.passed); e=$(jget pyramid-verdict.json tiers.e2e.collected)
"$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/pytest2.out" 2>&1
u2=$(jget pyramid-verdict.json tiers.unit.passed); i2=$(jget pyramid-verdict.json tiers.integration.passed)
echo "serial unit=$u integration=$i e2e=$e ; -n 2 unit=$u2 integration=$i2"
[ "$u/$i/$u2/$i2" = "4/1/4/1" ] && echo "RESULT: HELD" || echo "RESULT: BROKEN (wrong field: tier counts with path-like parameter ids)"
