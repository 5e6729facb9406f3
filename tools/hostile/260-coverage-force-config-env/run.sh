#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Coverage settings that are not the project's make the coverage gates not_evaluated (cases
# 13/14: --cov-config, COVERAGE_RCFILE). coverage.py also reads COVERAGE_FORCE_CONFIG (its
# "secret" benchmark variable, config.py: read *after* every other source, `our_file=True`),
# and the invocation table judges only PYTEST_/PYTHON/PYRAMID_ variables.
# total = 90 over mypkg; mypkg/extra.py's branch is not covered (about 50%).
# Rows: (a) control: --cov (blocked: coverage below 90); (b) COVERAGE_FORCE_CONFIG=<a file
# outside the repository> whose [report] exclude_also drops the branch; (c) its [run] omit
# drops mypkg/extra.py.
# Expected: (a) blocked; (b), (c) not `ready` (coverage not the project's: not_evaluated).
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
printf '.coverage\n.coverage.*\npyramid-verdict*\n' >> .gitignore
commit init
mkdir -p "$W/cfg"
printf '[report]\nexclude_also =\n    if x > 0:\n' > "$W/cfg/exclude.ini"
printf '[run]\nomit =\n    */mypkg/extra.py\n' > "$W/cfg/omit.ini"
r=""
one() { local label=$1; shift
  env "$@" "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/p-$label.out" 2>&1; local e=$?
  echo "row $label: exit=$e decision=$(decision) coverage=$(jget pyramid-verdict.json coverage.percent) | $("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); print([(g["id"], g["status"], g.get("message","")[:90]) for g in v["gates"] if g["id"].startswith("coverage")][:2])')"
  [ "$(decision)" = ready ] && r="$r $label"; }
one a X_UNUSED=1
one b COVERAGE_FORCE_CONFIG="$W/cfg/exclude.ini"
one c COVERAGE_FORCE_CONFIG="$W/cfg/omit.ini"
if echo "$r" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: COVERAGE_FORCE_CONFIG from the environment (not judged) changed what coverage counts: ready)"
else echo "RESULT: HELD"; fi
