#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A coverage threshold judged on a rounded figure. coverage.py's own `fail_under` compares the
# total rounded to `[report] precision` (0 by default), so 79.59 % passes `fail_under = 80`.
# The promise (coverage.md): `coverage.total` / `coverage.<tier>` judge the figure against the
# threshold; "missing data is never a pass", and a figure below the threshold is a failure.
# Project: mypkg/core.py has 49 statements, the unit test runs 39 of them: 79.59 %.
# Rows: (a) `[tool.pyramid.coverage] total = 80`, tier unit `coverage = 80`, coverage's default
# precision; (b) (a) with the project's tracked `[tool.coverage.report] precision = 2` (79.59);
# (c) control: thresholds 79: ready.
# Expected: (a) and (b) not `ready` (79.59 < 80); the verdict's actual says 79.59.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n.coverage*\n' >> .gitignore
{ echo 'def add(a, b):'; echo '    return a + b'; echo; echo; echo 'def covered():'
  for i in $(seq 1 34); do echo "    x$i = $i"; done; echo '    return 1'; echo; echo
  echo 'def uncovered():'; for i in $(seq 1 9); do echo "    y$i = $i"; done; echo '    return 2'; } > mypkg/core.py
w tests/unit/test_core.py <<'X'
from mypkg.core import add, covered

def test_add():
    assert add(1, 2) == 3
    assert covered() == 1
X
w tests/integration/test_int.py <<'X'
def test_int():
    assert True
X
cp pyproject.toml "$W/pyproject.base"
setcfg() {  # setcfg THRESHOLD [extra toml]
  cp "$W/pyproject.base" pyproject.toml
  printf '\n[tool.pyramid.tiers.unit]\ncoverage = %s\n\n[tool.pyramid.coverage]\ntotal = %s\n%s\n' "$1" "$1" "${2:-}" >> pyproject.toml
  commit "threshold $1"
}
BROKEN=""
runrow() {
  "$PY" -m pytest -q -p no:cacheprovider --cov=mypkg > "$W/pytest-$1.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $1: pytest exit=$e decision=$d | coverage.total: $(jget pyramid-verdict.json coverage.percent) | $("$PY" -c '
import json
v = json.load(open("pyramid-verdict.json"))
for g in v.get("gates", []):
    if g.get("id", "").startswith("coverage."):
        print(g["id"], g.get("status"), "actual=%s threshold=%s" % (g.get("actual"), g.get("threshold")), end="; ")')"
  [ "$d" = ready ] && BROKEN="$BROKEN $1"
}
setcfg 80; runrow a
setcfg 80 $'\n[tool.coverage.report]\nprecision = 2'; runrow b
setcfg 79; runrow c
if ! echo "$BROKEN" | grep -qw c; then echo "RESULT: VACUOUS (the control row was not ready)"
elif echo "$BROKEN" | grep -qwE 'a|b'; then echo "RESULT: BROKEN (rows$(echo "$BROKEN" | sed 's/ c$//'): 79.59 % passes a threshold of 80: the coverage gates judge a rounded figure)"
else echo "RESULT: HELD"; fi
