#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test takes its expected output from another ref of the repository (a golden file kept on a
# `golden` branch, read with `git show golden:expected.txt`): the bytes come from git's object store
# (.git is allow-listed as "git's own records"), not from the tree the verdict names.
# Expected: not ready, or the other ref's content is named (the tree alone does not decide the test).
base_project
printf 'pyramid-verdict*\n' >> .gitignore
commit init
git checkout -qb golden; echo 42 > expected.txt; commit golden; git checkout -q main
w tests/integration/test_golden.py <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["git", "show", "golden:expected.txt"], capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
commit test
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (ready: the test's expected value came from another branch's object, not the named tree)" || echo "RESULT: HELD ($(decision))"
