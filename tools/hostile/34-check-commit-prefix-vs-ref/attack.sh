#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Deploy side: `pyramid check --commit <7-hex prefix>`. A branch (or tag) whose NAME equals that hex prefix
# points to another, broken commit. git resolves the name to the branch (refs win over abbreviated SHAs),
# so `git checkout <prefix>` deploys the broken commit. Expected: check refuses (the revision names a
# commit the verdict is not for) - not exit 0.
base_project
commit good
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
cp pyramid-verdict.json "$W/verdict.json"
GOOD=$(git rev-parse HEAD); P=${GOOD:0:7}
git checkout -q -b feature
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
commit broken; BAD=$(git rev-parse HEAD)
git branch -f "$P" "$BAD"; git checkout -q main
echo "prefix $P: git rev-parse $P -> $(git rev-parse "$P" 2>/dev/null) (good=$GOOD bad=$BAD)"
"$PYR" check "$W/verdict.json" --commit "$P" > "$W/check.out" 2>&1; ex=$?
echo "pyramid check --commit $P exit=$ex: $(head -c 300 "$W/check.out" | tr '\n' ' ')"
R=$(git rev-parse "$P" 2>/dev/null)
if [ $ex = 0 ] && [ "$R" = "$BAD" ]; then echo "RESULT: FALSE-READY (check accepts a verdict of $GOOD for revision $P, which git resolves to $BAD)"; else echo "RESULT: HELD"; fi
