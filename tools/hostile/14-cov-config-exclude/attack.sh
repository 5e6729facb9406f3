#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# total=90 over mypkg. A CI script passes --cov-config=ci/lenient.cfg (a tracked file) whose
# [report] exclude_also removes the uncovered branch from the count. Also tried with COVERAGE_RCFILE.
# Expected: the run's coverage settings are not the project's -> coverage not_evaluated / incomplete.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 90
X
w mypkg/extra.py <<'X'
def f(x):
    if x > 0:
        a = 1
        b = 2
        c = 3
        d = 4
        return a + b + c + d
    return 0
X
w tests/unit/test_extra.py <<'X'
import mypkg.extra

def test_f():
    assert mypkg.extra.f(0) == 0
X
w ci/lenient.cfg <<'X'
[report]
exclude_also =
    if x > 0:
X
printf '.coverage\n.coverage.*\n' >> .gitignore
commit init
echo "--- control: plain --cov"; "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision) total=$(jget pyramid-verdict.json coverage.percent)"
R=HELD
echo "--- --cov-config=ci/lenient.cfg:"
"$PY" -m pytest -q -p no:cacheprovider --cov --cov-config=ci/lenient.cfg > "$W/pytest.out" 2>&1; echo "pytest exit=$?"
show; check; echo "coverage.percent=$(jget pyramid-verdict.json coverage.percent)"
[ "$(decision)" = ready ] && R="FALSE-READY (--cov-config)"
echo "--- COVERAGE_RCFILE=ci/lenient.cfg:"
COVERAGE_RCFILE=ci/lenient.cfg "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest2.out" 2>&1; echo "pytest exit=$?"
show; check; echo "coverage.percent=$(jget pyramid-verdict.json coverage.percent)"
[ "$(decision)" = ready ] && { [ "$R" = HELD ] && R="FALSE-READY (COVERAGE_RCFILE)" || R="$R (COVERAGE_RCFILE)"; }
echo "RESULT: $R"
