#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Tests run in an exported source tree without .git (git archive / Docker build context) of an OLD
# passing commit (GIT_CEILING_DIRECTORIES keeps git from finding any enclosing repository); the verdict
# binds to no commit. The deploy side checks it against the commit it
# deploys (a newer, broken one): `pyramid check verdict.json --commit <sha>`.
# Expected: refused (a verdict that names no commit/tree cannot vouch for <sha>).
base_project
commit good; GOOD=$(git rev-parse HEAD)
mkdir -p "$W/export" && git archive HEAD | tar -x -C "$W/export"
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
commit broken; BAD=$(git rev-parse HEAD)
(cd "$W/export" && GIT_CEILING_DIRECTORIES="$W" "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest (no .git) exit=$?")
V="$W/export/pyramid-verdict.json"
echo "verdict decision=$(decision $V) commit=$(jget $V commit) tree=$(jget $V tree.digest)"
R=HELD
for c in "$BAD" HEAD; do
  "$PYR" check "$V" --commit "$c" > "$W/check.out" 2>&1; ex=$?
  echo "pyramid check --commit $c exit=$ex: $(head -c 250 "$W/check.out" | tr '\n' ' ')"
  [ $ex = 0 ] && R="FALSE-READY (check --commit $c accepts a verdict bound to no commit)"
done
echo "RESULT: $R"
