#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The quarantine cap (docs/gates.md: tests.quarantine fails when more than max_share (2%) of a
# tier's tests is quarantined, one per tier always allowed). The tracked quarantine holds 2
# failing integration tests (reviewed: 2 of 10 real tests is 20%, the gate fails). The test
# code then adds 90 tests that always skip (`pytest.skip("not on this platform")`): 2 of 100
# "tests" is 2%.
# Expected: tests that never ran are no evidence and do not dilute the cap: the gate still fails
# (the share is of the tier's tests that ran), or names the skipped tests it counted.
base_project
printf 'pyramid-verdict*\npyramid-results*\n' >> .gitignore
for i in $(seq 1 7); do printf 'def test_ok%s():\n    assert True\n' $i >> tests/integration/test_ok.py; done
printf 'def test_broken_a():\n    assert False\n\ndef test_broken_b():\n    assert False\n' > tests/integration/test_broken.py
cat >> pyproject.toml <<'X'

[[tool.pyramid.quarantine]]
test = "tests/integration/test_broken.py::test_broken_a"
owner = "alice"
expires = 2099-12-31
reason = "sandbox down"

[[tool.pyramid.quarantine]]
test = "tests/integration/test_broken.py::test_broken_b"
owner = "alice"
expires = 2099-12-31
reason = "sandbox down"
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
g() { "$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.quarantine"]; print(g[0]["status"], "|", g[0]["message"][:150])'; }
echo "10 real tests: pytest exit=$e decision=$(decision) gate: $(g)"
w tests/integration/test_platform.py <<'X'
import pytest

@pytest.mark.parametrize("n", range(90))
def test_platform(n):
    pytest.skip("not on this platform")
X
commit skips
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
echo "+90 skipped: pytest exit=$e decision=$(decision) gate: $(g)"
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (90 always-skipped tests dilute the quarantine cap: 2 quarantined failures of 10 real tests gave ready)" || echo "RESULT: HELD ($(decision))"
