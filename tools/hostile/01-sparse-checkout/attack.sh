#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A CI job uses a sparse checkout (monorepo habit) that leaves tests/e2e out of the working tree.
# git treats the missing files as unchanged (skip-worktree), so the tree digest is the commit's tree,
# but the e2e tier (which FAILS) never ran. Expected: not ready (e2e is in the commit named).
base_project
w tests/e2e/test_e2e.py <<'X'
def test_e2e_broken():
    assert False, "e2e is broken"
X
commit init
git sparse-checkout set --no-cone '/*' '!/tests/e2e/' 2>/dev/null
ls tests
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -5 "$W/pytest.out"
show; check
d=$(decision); git ls-tree -r HEAD --name-only | grep -q tests/e2e/test_e2e.py && echo "commit contains tests/e2e/test_e2e.py"
[ "$d" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
