#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# mypkg imports an optional local override module that the .gitignore ignores (a generated file /
# local settings). The committed code without it is broken; with the ignored file tests pass.
# Expected: not ready / not claiming the commit's tree (the code that ran is not in the tree).
base_project
cat >> .gitignore <<'X'
mypkg/_local.py
X
w mypkg/core.py <<'X'
try:
    from mypkg._local import add  # generated / local override (git-ignored)
except ImportError:
    def add(a, b):
        return a - b  # BUG shipped in the commit
X
commit init
w mypkg/_local.py <<'X'
def add(a, b):
    return a + b
X
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
