#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The committed pyproject.toml has [tool.pyramid]. A developer's git-ignored local pyramid.toml
# excludes the failing e2e folder. Expected: a configuration git ignores shaped the run -> incomplete,
# or the committed config is used and e2e blocks.
base_project
w tests/e2e/test_flow.py <<'X'
def test_flow():
    assert False, "e2e broken"
X
echo "pyramid.toml" >> .gitignore
commit init
for body in '[tool.pyramid]\nsource = ["mypkg"]\nexclude = ["tests/e2e/**"]\n' 'source = ["mypkg"]\nexclude = ["tests/e2e/**"]\n'; do
  printf "$body" > pyramid.toml
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
  show | grep -v "tier \(contract\|perf\|secu\)"; echo "config=$(jget pyramid-verdict.json config)"; check
  [ "$(decision)" = ready ] && break
done
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
