#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The workspace repo carries a replace ref (refs/replace/, e.g. from a history-grafting tool): the
# broken commit B is replaced by the good commit G for display. HEAD is B; the working tree holds G's
# content, so git status is clean. A clean clone of B (what deploys) has the broken code.
# Expected: the verdict must not say "B, clean" - the code that ran is not B's tree.
base_project
commit good; G=$(git rev-parse HEAD)
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
commit broken; B=$(git rev-parse HEAD)
git replace "$B" "$G"
git checkout -q -f HEAD -- . ; git reset -q --hard
echo "HEAD=$B  working core.py: $(tail -1 mypkg/core.py)   B's real core.py: $(GIT_NO_REPLACE_OBJECTS=1 git show $B:mypkg/core.py | tail -1)"
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
echo "verdict tree=$(jget pyramid-verdict.json tree.digest)  real tree of B=$(GIT_NO_REPLACE_OBJECTS=1 git rev-parse $B^{tree})"
if [ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json commit)" = "\"$B\"" ] && [ "$(jget pyramid-verdict.json dirty)" = false ]; then echo "RESULT: FALSE-READY"; else echo "RESULT: HELD"; fi
