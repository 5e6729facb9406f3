#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# -p no:pyramid_markers turns off the plugin's tier-marker entry point (markers and the
# pytest_pyramid_tier hookspec) while the plugin stays on. Tracked config: --strict-markers. Expected:
# the run is incomplete naming the option, or identical to the honest run; never a ready that differs.
base_project
sed -i 's/^testpaths = \["tests"\]$/testpaths = ["tests"]\naddopts = "--strict-markers"/' pyproject.toml
w tests/integration/test_marked.py <<'X'
import pytest

@pytest.mark.e2e
def test_e2e_marked():
    assert False
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/honest.out" 2>&1; echo "honest: $(decision) e2e=$(jget pyramid-verdict.json tiers.e2e.failed)"
"$PY" -m pytest -q -p no:cacheprovider -p no:pyramid_markers > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -4
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: -p no:pyramid_markers)" || echo "RESULT: HELD ($(decision))"
