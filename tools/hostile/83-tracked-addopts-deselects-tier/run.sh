#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project's tracked addopts deselect a whole tier (-m "not integration"): its only test fails.
# Expected: not ready - the integration tier has tests on disk and collected, so it is required, and
# none of its tests ran (deselected is not passed).
base_project
printf '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\naddopts = "-m \x27not integration\x27"\n\n[tool.pyramid]\nsource = ["mypkg"]\n' > pyproject.toml
w tests/integration/test_int.py <<'X'
def test_int():
    assert False, "integration is broken"
X
commit init; grep addopts pyproject.toml
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show; echo "exclusions=$(jget pyramid-verdict.json run.invocation.exclusions)"
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: tracked addopts deselected a whole required tier)" || echo "RESULT: HELD ($(decision))"
