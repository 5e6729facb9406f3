#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# pytest is started with git environment variables leaked from the caller (a git hook, a dotfiles
# wrapper, a CI step that cd's elsewhere): GIT_DIR/GIT_WORK_TREE name a CLEAN clone of the last good
# commit, while the tests run in the current checkout, which has uncommitted changes (new behaviour
# and a new test) that are in no commit.
# Expected: commit/tree name what ran (or the run is incomplete) - not the other clone's commit, clean.
base_project
commit good; GOOD=$(git rev-parse HEAD)
git clone -q . "$W/clean"
w mypkg/core.py <<'X'
def add(a, b):
    return a + b if a >= 0 else 0  # WIP, uncommitted
X
w tests/unit/test_neg.py <<'X'
from mypkg.core import add

def test_neg_is_zero():
    assert add(-1, 5) == 0
X
echo "workspace: $(git status --porcelain | tr '\n' ' ')"
GIT_DIR="$W/clean/.git" GIT_WORK_TREE="$W/clean" "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"
echo "verdict commit=$(jget pyramid-verdict.json commit) dirty=$(jget pyramid-verdict.json dirty) tree=$(jget pyramid-verdict.json tree.digest); clean clone tree=$(git -C "$W/clean" rev-parse HEAD^{tree})"
(cd "$W/clean" && cp "$W/proj/pyramid-verdict.json" "$W/v.json" && "$PYR" check "$W/v.json" > "$W/check.out" 2>&1; echo "check (in the clean clone) exit=$?: $(head -c 200 "$W/check.out")")
if [ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ]; then echo "RESULT: FALSE-READY (verdict names the clean clone $GOOD, clean, but the tests ran uncommitted code)"; else echo "RESULT: HELD"; fi
