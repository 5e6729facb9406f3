#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# unit tier limit 1s. One unit test carries @pytest.mark.timeout(0) (no limit) and takes 2 s.
# The README: your own mark wins; "the verdict records the limit each tier actually ran under".
# Expected: tiers.unit.test_timeout_s must not claim every unit test ran under 1.0 s
# (null / a per-test note), since one ran with no limit at all.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.unit]
test_timeout = "1s"
X
w tests/unit/test_slow.py <<'X'
import time, pytest

@pytest.mark.timeout(0)
def test_unbounded():
    time.sleep(2)
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"
T=$(jget pyramid-verdict.json tiers.unit.test_timeout_s); echo "unit test_timeout_s=$T slowest=$(jget pyramid-verdict.json tiers.unit.slowest.0)"
"$PY" -c 'import json;v=json.load(open("pyramid-verdict.json"));print({k:x for k,x in v["tiers"]["unit"].items() if "timeout" in k or "limit" in k})'
if [ "$T" = "1.0" ]; then echo "RESULT: WRONG-FIELD tiers.unit.test_timeout_s=1.0 while a unit test ran 2 s with no limit (timeout(0))"; else echo "RESULT: HELD"; fi
