#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The committed repository has tests/e2e as a symlink to generated/e2e (generated from specs by a
# tool; generated/ is git-ignored). The committed generator output would contain the failing e2e test;
# the workspace's stale generated/ holds only an older, passing test. The tests that ran are not
# part of any tree. Expected: not ready (tests outside the tree / symlink into ignored files).
base_project
echo "generated/" >> .gitignore
mkdir -p generated/e2e
ln -s ../generated/e2e tests/e2e
w specs/e2e.txt <<'X'
flow: must fail (regenerate to get test_flow_v2)
X
commit init
git ls-files -s tests/e2e
printf 'def test_flow_v1():\n    assert True\n' > generated/e2e/test_flow.py
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
