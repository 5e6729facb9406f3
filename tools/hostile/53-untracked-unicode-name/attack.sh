#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# An UNTRACKED, not ignored source module with a non-ASCII name (mypkg/café.py - valid Python identifier)
# shadows the committed, broken fallback. git quotes such paths ("mypkg/caf\303\251.py") in its default
# output. Expected: the untracked file is part of tree.digest -> dirty=true -> check refuses.
base_project
w mypkg/core.py <<'X'
try:
    from mypkg.café import add
except ImportError:
    def add(a, b):
        return a - b  # BUG
X
commit init
printf 'def add(a, b):\n    return a + b\n' > "mypkg/café.py"
echo "git status: [$(git status --porcelain | tr '\n' ' ')]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
echo "commit tree $(git rev-parse HEAD^{tree}) verdict tree $(jget pyramid-verdict.json tree.digest)"
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
