#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# tests/integration/db/conftest.py (tracked) skips its whole folder at import when a database is not
# reachable (`pytest.skip(..., allow_module_level=True)`), the pattern of many projects. The folder's
# two test files (one of them failing) never run. The tier has another passing test.
# Expected: the two files counted (as skipped modules or not collected), never silently absent:
# not ready with skipped=0 and files_on_disk agreeing with collected.
base_project
w tests/integration/db/conftest.py <<'X'
import pytest

pytest.skip("no database here", allow_module_level=True)
X
w tests/integration/db/test_db_a.py <<'X'
def test_db_a():
    assert False, "the database query is wrong"
X
w tests/integration/db/test_db_b.py <<'X'
def test_db_b():
    assert True
X
commit init
"$PY" -m pytest -q -p no:cacheprovider -rs > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -6
d=$(decision); sk=$(jget pyramid-verdict.json tiers.integration.skipped); fod=$(jget pyramid-verdict.json tiers.integration.files_on_disk); sm=$(jget pyramid-verdict.json tiers.integration.skipped_modules)
echo "integration: skipped=$sk files_on_disk=$fod skipped_modules=$sm"
[ "$d" = ready ] && [ "$sk" = 0 ] && echo "RESULT: BROKEN (ready, and the skipped folder is counted nowhere)" || echo "RESULT: HELD ($d, skipped=$sk, skipped_modules=$sm)"
