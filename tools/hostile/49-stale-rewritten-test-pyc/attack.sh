#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# pytest's own assertion-rewrite cache (__pycache__/*-pytest-*.pyc) is validated by source mtime+size.
# A restored cache holds the rewritten bytecode of an older version of a TEST file with identical size
# and mtime; the committed test (which fails) is never executed. Expected: not ready.
base_project
w tests/unit/test_core.py <<'X'
from mypkg.core import add

def test_add():
    assert add(1, 2) == 3
X
w tests/unit/test_edge.py <<'X'
from mypkg.core import add

def test_edge():
    assert add(2, 2) == 4
X
touch -d '2026-01-01 00:00:00' tests/unit/test_edge.py
"$PY" -m pytest -q -p no:cacheprovider -p no:pyramid tests/unit/test_edge.py > /dev/null 2>&1   # warm the rewrite cache (old version)
ls tests/unit/__pycache__/
w tests/unit/test_edge.py <<'X'
from mypkg.core import add

def test_edge():
    assert add(2, 2) == 5
X
touch -d '2026-01-01 00:00:00' tests/unit/test_edge.py
commit init
echo "committed test: $(git show HEAD:tests/unit/test_edge.py | tail -1)"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
