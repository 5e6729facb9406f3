#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project's snapshot helper rewrites a TRACKED golden file when UPDATE_SNAPSHOTS=1 (a developer
# setting left in the CI environment). The code is broken; the golden file is "updated" to the broken
# output during the run and the test passes. Expected: a tracked file changed while the tests ran -> incomplete.
base_project
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
w tests/unit/golden/add.txt <<'X'
3
X
w tests/unit/test_snap.py <<'X'
import os, pathlib
from mypkg.core import add
GOLDEN = pathlib.Path(__file__).parent / "golden" / "add.txt"

def test_add_snapshot():
    got = str(add(1, 2))
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        GOLDEN.write_text(got + "\n")
    assert got == GOLDEN.read_text().strip()
X
w tests/integration/test_int.py <<'X'
def test_int():
    pass
X
rm -f tests/unit/test_core.py
commit init
UPDATE_SNAPSHOTS=1 "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
echo "git status after: [$(git status --porcelain | tr '\n' ' ')]"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
