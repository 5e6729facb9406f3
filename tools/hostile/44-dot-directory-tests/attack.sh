#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked test file inside a dot-directory of a tier (tests/unit/.regressions/test_regress.py).
# pytest's default norecursedirs ('.*') skips it. The promise: "a tier's folders are scanned whatever
# pytest's own exclusions say". Expected: files_not_collected -> incomplete.
base_project
w tests/unit/.regressions/test_regress.py <<'X'
from mypkg.core import add

def test_regression_1234():
    assert add(0.1, 0.2) == 0.3, "float regression"
X
commit init
git ls-files tests/unit
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
echo "--- the file fails when run explicitly:"; "$PY" -m pytest -q -p no:cacheprovider tests/unit/.regressions/test_regress.py 2>&1 | tail -1
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
echo "unit files_on_disk=$(jget pyramid-verdict.json tiers.unit.files_on_disk)"
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
