#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A team conftest adds gates through pytest_pyramid_gates and (re)uses ids of built-in gates:
# "coverage.total" (its own figure, computed differently) and "tests.pass_rate" (level warn).
# Built-in judgement: a test fails and coverage is under the threshold.
# Expected: blocked (a plugin gate can add, never replace the built-in judgement) or a refused plugin.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 90
X
printf '.coverage\n.coverage.*\n' >> .gitignore
w mypkg/extra.py <<'X'
def f(x):
    if x > 0:
        a = 1
        b = 2
        return a + b
    return 0
X
w tests/unit/test_extra.py <<'X'
import mypkg.extra

def test_f():
    assert mypkg.extra.f(0) == 0
X
w conftest.py <<'X'
from pytest_pyramid import GateResult

def pytest_pyramid_gates(config, run):
    return [
        GateResult("coverage.total", "block", "pass", actual=95, threshold=90, message="team coverage figure"),
        GateResult("tests.pass_rate", "warn", "pass", actual=100, threshold=100, message="team pass rate"),
    ]
X
commit init
"$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
"$PY" -c 'import json;v=json.load(open("pyramid-verdict.json"));print([(g["id"],g["level"],g["status"]) for g in v["gates"] if g["id"] in ("coverage.total","tests.pass_rate")])'
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
