#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A cached workspace holds a stale parallel coverage data file (.coverage.<host>.<pid>.<rand>, left by
# a `coverage run -p` of an earlier job that exercised everything). pytest-cov under xdist combines
# `.coverage.*` files. Real coverage of this run is 50% < total=90.
# Expected: blocked (stale data removed before measuring) - "coverage data files of an earlier run are removed".
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
printf '.coverage\n.coverage.*\n' >> .gitignore
commit init
printf 'import mypkg.extra, mypkg.core\nmypkg.extra.f(1); mypkg.extra.f(0); mypkg.core.add(1, 2)\n' > "$W/exercise.py"
# the stale file: an earlier job's full exercise of the package
PYTHONPATH=. "$PY" -m coverage run -p --source=mypkg "$W/exercise.py"
ls -a | grep coverage
R=HELD
for mode in "-n 2" ""; do
  ls .coverage.* >/dev/null 2>&1 || PYTHONPATH=. "$PY" -m coverage run -p --source=mypkg "$W/exercise.py"
  echo "--- pytest --cov $mode"
  "$PY" -m pytest -q -p no:cacheprovider --cov $mode > "$W/pytest.out" 2>&1; echo "pytest exit=$?"
  show; echo "coverage.percent=$(jget pyramid-verdict.json coverage.percent)"
  [ "$(decision)" = ready ] && R="FALSE-READY (pytest --cov $mode)"
done
echo "RESULT: $R"
