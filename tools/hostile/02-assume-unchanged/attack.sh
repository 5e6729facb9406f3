#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A developer/CI cache marked a source file assume-unchanged (git update-index --assume-unchanged),
# then the file is edited to a version whose tests pass. git status says clean.
# Expected: dirty=true / tree digest != commit tree (the code that ran is not the commit's).
base_project
w tests/unit/test_core.py <<'X'
from mypkg.core import add

def test_add():
    assert add(1, 2) == 3
X
# committed code is BROKEN (add subtracts) -> committed tree fails its tests
w mypkg/core.py <<'X'
def add(a, b):
    return a - b
X
w tests/integration/test_int.py <<'X'
from mypkg.core import add

def test_int():
    assert add(2, 0) == 2
X
commit init
git update-index --assume-unchanged mypkg/core.py
w mypkg/core.py <<'X'
def add(a, b):
    return a + b
X
git status --short | head
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
echo "commit tree: $(git rev-parse HEAD^{tree})  verdict tree.digest: $(jget pyramid-verdict.json tree.digest)"
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
