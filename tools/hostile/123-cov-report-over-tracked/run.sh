#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# --cov-report=xml:FILE pointed at a tracked file (pyproject.toml), and --junitxml at a test module.
# Expected: not ready, or pyramid check refusing the verdict (the tree now is not the one tested).
base_project
commit init
r=HELD
for opt in "--cov-report=xml:mypkg/core.py" "--junitxml=tests/unit/test_core.py"; do
  git checkout -q -- . ; rm -f pyramid-verdict.json
  "$PY" -m pytest -q -p no:cacheprovider --cov=mypkg $opt > "$W/pytest.out" 2>&1; e=$?
  d=$(decision); "$PYR" check > "$W/c.out" 2>&1; c=$?
  echo "  $opt: pytest exit=$e decision=$d check exit=$c"
  [ "$d" = ready ] && [ $c = 0 ] && r="BROKEN ($opt overwrote a tracked file and the verdict passes check)"
done
git checkout -q -- .
echo "RESULT: $r"
