#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Provenance fields in common CI layouts: (a) detached HEAD (actions/checkout), (b) a linked worktree
# (git worktree add) at another commit than the main checkout. Expected: commit = the checked-out commit,
# branch not a wrong name, dirty=false, tree = that commit's tree.
base_project
commit one; C1=$(git rev-parse HEAD)
w mypkg/extra.py <<'X'
X = 1
X
commit two; C2=$(git rev-parse HEAD)
BAD=""
git checkout -q --detach "$C1"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1
echo "(a) detached at C1: commit=$(jget pyramid-verdict.json commit) branch=$(jget pyramid-verdict.json branch) dirty=$(jget pyramid-verdict.json dirty)"
[ "$(jget pyramid-verdict.json commit)" = "\"$C1\"" ] || BAD="$BAD commit(detached)"
[ "$(jget pyramid-verdict.json branch)" = '"main"' ] && BAD="$BAD branch(detached says main)"
[ "$(jget pyramid-verdict.json tree.digest)" = "\"$(git rev-parse $C1^{tree})\"" ] || BAD="$BAD tree(detached)"
git checkout -q main
git worktree add -q "$W/wt" "$C1" 2>/dev/null
(cd "$W/wt" && "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest2.out" 2>&1)
V="$W/wt/pyramid-verdict.json"
echo "(b) worktree at C1: commit=$(jget $V commit) branch=$(jget $V branch) dirty=$(jget $V dirty) decision=$(decision $V)"
[ "$(jget $V commit)" = "\"$C1\"" ] || BAD="$BAD commit(worktree)"
[ "$(jget $V tree.digest)" = "\"$(git rev-parse $C1^{tree})\"" ] || BAD="$BAD tree(worktree)"
(cd "$W/wt" && "$PYR" check pyramid-verdict.json > "$W/check2.out" 2>&1; echo "check in worktree exit=$?")
[ -n "$BAD" ] && echo "RESULT: WRONG-FIELD$BAD" || echo "RESULT: HELD"
