#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked test module skips itself at import when CI sets an environment variable (FAST=1); its
# test fails. The tier keeps another passing test, so it "ran".
# Expected: the skipped module's test is counted (skipped or not run) and the run not ready, or at
# least the verdict's counts show it; a FAST=1 run is the same exclusion as -k.
base_project
w tests/integration/test_slow.py <<'X'
import os
import pytest
if os.environ.get("FAST"):
    pytest.skip("fast run", allow_module_level=True)

def test_slow():
    assert False
X
commit init
FAST=1 "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -8; check
echo "integration skipped count: $(jget pyramid-verdict.json tiers.integration.skipped)"
# a skip is an outcome the verdict allows: the counts must show it (the decision may be ready)
[ "$(jget pyramid-verdict.json tiers.integration.skipped)" = 1 ] && echo "RESULT: HELD ($(decision), the skipped module counted: skipped=1; by design, see FINDINGS-round3.md)" || echo "RESULT: BROKEN (wrong field: the module skipped at import is not counted)"
