#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The CI image exports PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 (for hermetic runs) and loads the plugins it
# knows about explicitly: `-p pyramid` (not pytest-timeout). The unit tier has a 1s per-test limit and a
# test takes 2 s. Expected: limits not enforced -> incomplete (or the test is killed -> blocked).
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.unit]
test_timeout = "1s"
X
w tests/unit/test_slow.py <<'X'
import time

def test_slow():
    time.sleep(2)
X
commit init
R=HELD
for p in "-p pyramid" "-p pytest_pyramid.plugin"; do
  PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 "$PY" -m pytest -q -p no:cacheprovider $p > "$W/pytest.out" 2>&1; ex=$?
  echo "[$p] pytest exit=$ex decision=$(decision) unit.test_timeout_s=$(jget pyramid-verdict.json tiers.unit.test_timeout_s) reasons=$(jget pyramid-verdict.json reasons | head -c 200)"
  [ "$(decision)" = ready ] && R="FALSE-READY ($p)"
done
echo "RESULT: $R"
