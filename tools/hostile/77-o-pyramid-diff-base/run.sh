#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The ini twin of --pyramid-diff-base given with -o (and through PYTEST_ADDOPTS): pyramid_diff_base=HEAD.
# Changed-line coverage then judges no line. Tracked config: changed_lines = 100 against main.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
changed_lines = 100
base = "main"
X
commit init
git checkout -qb feature
w mypkg/extra.py <<'X'
def untested(x):
    if x:
        return 1
    return 2
X
commit "untested code"
"$PY" -m pytest -q -p no:cacheprovider --cov > "$W/honest.out" 2>&1; echo "honest: $(decision)"
r=HELD
"$PY" -m pytest -q -p no:cacheprovider --cov -o pyramid_diff_base=HEAD > "$W/pytest.out" 2>&1; echo "-o: exit=$? $(decision)"; show | head -3
[ "$(decision)" = ready ] && r="BROKEN (false ready: -o pyramid_diff_base=HEAD)"
PYTEST_ADDOPTS="-o pyramid_diff_base=HEAD" "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest2.out" 2>&1; echo "PYTEST_ADDOPTS: exit=$? $(decision)"
[ "$(decision)" = ready ] && r="BROKEN (false ready: PYTEST_ADDOPTS=-o pyramid_diff_base=HEAD)"
echo "RESULT: $r"
