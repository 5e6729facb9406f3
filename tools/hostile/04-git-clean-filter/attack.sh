#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The workspace's .git/config (not part of the project) defines a clean filter applied through
# .git/info/attributes. The committed mypkg/core.py is BROKEN; the working copy is fixed, but the
# clean filter maps the working copy back to the committed bytes, so git sees no change.
# Expected: the verdict must not claim the commit's tree was tested clean (dirty, or refused).
base_project
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
w tests/integration/test_int.py <<'X'
from mypkg.core import add

def test_int():
    assert add(2, 0) == 2
X
commit init
git config filter.norm.clean "sed -e 's/return a + b  # FIX/return a - b  # BUG/'"
git config filter.norm.smudge cat
mkdir -p .git/info; echo 'mypkg/*.py filter=norm' > .git/info/attributes
w mypkg/core.py <<'X'
def add(a, b):
    return a + b  # FIX
X
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
echo "commit tree: $(git rev-parse HEAD^{tree})  verdict tree.digest: $(jget pyramid-verdict.json tree.digest)"
echo "committed core.py: $(git show HEAD:mypkg/core.py | tail -1)   ran: $(tail -1 mypkg/core.py)"
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
