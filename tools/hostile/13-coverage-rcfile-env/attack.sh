#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Coverage threshold total=90 over source mypkg. mypkg/extra.py is imported but mostly uncovered.
# The CI environment sets COVERAGE_RCFILE to a *tracked* file inside the project (written for another
# job) whose [run] omit drops mypkg/extra.py. Expected: blocked (real coverage < 90) or not_evaluated.
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

def test_import():
    assert mypkg.extra.f(0) == 0
X
w ci/docs-coverage.cfg <<'X'
[run]
omit = mypkg/extra.py
X
printf '.coverage\n.coverage.*\n' >> .gitignore
commit init
echo "--- control: plain --cov"; "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision) total=$(jget pyramid-verdict.json coverage.percent)"; REAL=$(jget pyramid-verdict.json coverage.percent)
echo "--- COVERAGE_RCFILE=ci/docs-coverage.cfg:"
COVERAGE_RCFILE=ci/docs-coverage.cfg "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
echo "coverage.percent=$(jget pyramid-verdict.json coverage.percent) files=$(jget pyramid-verdict.json coverage.files)"
P=$(jget pyramid-verdict.json coverage.percent)
if [ "$(decision)" = ready ]; then echo "RESULT: FALSE-READY"
elif [ "$P" != null ] && [ "$P" != "$REAL" ]; then echo "RESULT: WRONG-FIELD coverage.percent=$P but the run really covered $REAL% of mypkg (mypkg/extra.py was imported and partly run, counted as never imported)"
else echo "RESULT: HELD"; fi
