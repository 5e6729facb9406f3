#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# pytest's DEFAULT norecursedirs ('build', 'dist', 'node_modules', '.*', 'venv', '*.egg' ...) silently
# skip sub-folders of a tier with those names (e.g. tests for the build feature live in tests/unit/build/).
# The promise: a tier's folders are scanned whatever pytest's own exclusions say.
# Expected: files_not_collected -> incomplete.
base_project
w tests/unit/build/test_builder.py <<'X'
def test_builder():
    assert False, "broken"
X
w tests/unit/dist/test_dist.py <<'X'
def test_dist():
    assert False, "broken"
X
w tests/unit/.slow/test_hidden.py <<'X'
def test_hidden():
    assert False, "broken"
X
w tests/unit/pkg.egg/test_egg.py <<'X'
def test_egg():
    assert False, "broken"
X
commit init
git ls-files tests/unit
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
echo "unit files_on_disk=$(jget pyramid-verdict.json tiers.unit.files_on_disk)"
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
