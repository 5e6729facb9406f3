#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The package vendors a library as an embedded git repository (a folder with its own .git, committed
# as a gitlink, NOT registered in .gitmodules). The committed vendored code is broken; in the workspace
# the nested repo has an uncommitted fix (and an untracked file). The tree id holds only the gitlink.
# Expected: incomplete / dirty ("a submodule with uncommitted changes").
base_project
mkdir -p mypkg/vendor/calc && (cd mypkg/vendor/calc && git init -q -b main && git config user.email a@b && git config user.name a && printf 'def add(a, b):\n    return a - b  # BUG\n' > __init__.py && git add -A && git commit -qm v)
w mypkg/core.py <<'X'
from mypkg.vendor.calc import add
X
touch mypkg/vendor/__init__.py
git add -A 2>/dev/null; git commit -qm init
git ls-tree -r HEAD | grep calc
printf 'def add(a, b):\n    return a + b\n' > mypkg/vendor/calc/__init__.py
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
