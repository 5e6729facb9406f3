#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A CI script loads an extra plugin with `-p` (from a tools dir outside the project) that marks
# "known failures" as skip at collection (pytest_itemcollected adds a skip marker). The tier still has
# a passing test, so it "ran". Expected: incomplete (a command-line plugin changed how the run is judged).
base_project
w tests/unit/test_core.py <<'X'
from mypkg.core import add

def test_add():
    assert add(1, 2) == 3

def test_add_negative():
    assert add(-1, -1) == 0, "broken"
X
commit init
mkdir -p "$W/tools"; cat > "$W/tools/known_failures.py" <<'X'
import pytest
KNOWN = {"test_add_negative"}

def pytest_itemcollected(item):
    if item.name in KNOWN:
        item.add_marker(pytest.mark.skip(reason="known failure (CI list)"))
X
PYTHONPATH="$W/tools" "$PY" -m pytest -q -p no:cacheprovider -p known_failures > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
