#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The invocation table judges the variables "pytest, Python or the plugins read" by three
# prefixes (PYTEST_, PYTHON, PYRAMID_). pytest also reads PY_IGNORE_IMPORTMISMATCH
# (`_pytest/pathlib.py: import_path`): with "1", a test file whose module name is already
# imported from another file is *not* an error; pytest hands back the other file's module.
# Tracked layout (rootdir-style, no __init__.py): tests/integration/test_calc.py passes,
# tests/unit/test_calc.py (collected after it) fails (a real bug). A plain run is a collection error
# ("import file mismatch"). Rows: (a) control; (b) PY_IGNORE_IMPORTMISMATCH=1 from the job's
# environment: the unit file's tests are the integration file's; (c) (b) under -n 2.
# Expected: no row `ready` (a clean run of the commit errors / fails).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w tests/integration/test_calc.py <<'X'
def test_calc():
    assert 1 + 1 == 2
X
w tests/unit/test_calc.py <<'X'
def test_calc():
    assert 1 + 1 == 3, "a real bug"
X
commit init
run_row() {  # run_row LABEL [env...] -- [pytest args]
  local label=$1; shift
  env "$@" "$PY" -m pytest -q -p no:cacheprovider ${ARGS:-} > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $label: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$label.out" | cut -c1-90)"
  show | grep -E 'reason|tier (unit|integration)' | head -4
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
run_row a X_UNUSED=1
run_row b PY_IGNORE_IMPORTMISMATCH=1
ARGS="-n 2" run_row c PY_IGNORE_IMPORTMISMATCH=1
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: PY_IGNORE_IMPORTMISMATCH=1 from the environment ran another file's tests in place of a failing one: ready)"
else echo "RESULT: HELD"; fi
