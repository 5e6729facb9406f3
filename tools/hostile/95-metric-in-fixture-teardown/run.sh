#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A load fixture (function scope: pyramid_metric is per test) records the real p95 in its teardown (after the test passed); the test
# records an optimistic warm-up figure. Threshold "< 100". Expected: blocked (900 is a sample of a
# passing test's run), or the gate saying the teardown sample was discarded - never a silent pass.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.thresholds]
"api.p95_ms" = "< 100"
X
w tests/integration/test_load.py <<'X'
import pytest

@pytest.fixture
def load(pyramid_metric):
    yield
    pyramid_metric("api.p95_ms", 900)

def test_load(load, pyramid_metric):
    pyramid_metric("api.p95_ms", 10)
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | head -4
echo "metric=$(jget pyramid-verdict.json metrics)" | head -c 600; echo
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: the teardown sample 900 was dropped silently)" || echo "RESULT: HELD ($(decision))"
