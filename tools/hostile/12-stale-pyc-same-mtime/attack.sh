#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Stale timestamp-based bytecode: a restored __pycache__ (CI cache) holds the bytecode of an older,
# correct mypkg/core.py with the same size and mtime (seconds) as the broken committed one - e.g. two
# edits in the same second, or a cache + checkout with pinned mtimes. Python validates .pyc only by
# mtime+size, so the old code runs. Expected: not ready ("code that is not the tree's").
base_project
w mypkg/core.py <<'X'
def add(a, b):
    return a + b  # ok
X
touch -d '2026-01-01 00:00:00' mypkg/core.py
"$PY" -c 'import py_compile; py_compile.compile("mypkg/core.py", doraise=True)'   # cached bytecode of the good version
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # ok
X
touch -d '2026-01-01 00:00:00' mypkg/core.py
w tests/integration/test_int.py <<'X'
from mypkg.core import add

def test_int():
    assert add(2, 1) == 3
X
commit init   # commits the BROKEN version (a - b); __pycache__ is ignored
ls mypkg/__pycache__
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
echo "committed: $(git show HEAD:mypkg/core.py | tail -1)"
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
