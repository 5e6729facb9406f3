#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# tree.excluded holds globs such as **/test-results/** and **/.pyramid/**. A project keeps TRACKED
# golden files in tests/unit/test-results/. The committed golden file expects the right answer and the
# committed code is wrong; locally the golden file was edited (uncommitted) to the wrong answer, so the
# test passes.
# Expected: dirty=true (a tracked file differs from the commit) -> refused by check.
base_project
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
w tests/unit/test-results/expected.txt <<'X'
3
X
w tests/unit/test_core.py <<'X'
import pathlib
from mypkg.core import add

def test_add_golden():
    want = int((pathlib.Path(__file__).parent / "test-results" / "expected.txt").read_text())
    assert add(1, 2) == want
X
w tests/integration/test_int.py <<'X'
from mypkg.core import add

def test_int():
    assert add(2, 0) == 2
X
commit init
echo "-1" > tests/unit/test-results/expected.txt
git status --short
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
echo "commit tree: $(git rev-parse HEAD^{tree})  verdict tree.digest: $(jget pyramid-verdict.json tree.digest)"
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
