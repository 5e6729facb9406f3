#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, on disk = collected (run/inventory.py): a test file is found by pytest's
# `python_files` patterns, a rule by name. A file in a tier's folder that holds tests but whose
# name misses the pattern by a typo or another team's habit (`test-payments.py`,
# `tests_payments.py`, `payments_tests.py`, `Test_payments.py`) is neither collected nor
# expected: its failing test never runs and nothing names it. Nothing imports it either, so
# it is no helper.
# Rows: (z) control: `test_payments.py`: blocked; (a)-(d) the other names.
# Expected: no row `ready` (a tracked file in the unit tier holding a failing test never ran).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
commit init
r=""
one() { local label=$1 name=$2
  git rm -q -r --cached tests/unit/extra >/dev/null 2>&1; rm -rf tests/unit/extra
  w "tests/unit/extra/$name" <<'X'
def test_refund_rounding():
    assert round(2.675, 2) == 2.68
X
  commit "row $label"
  "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label ($name): exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-70) | $(show > "$W/s-$label.out"; grep -m1 -E 'problem' "$W/s-$label.out" | cut -c1-150)"
  [ "$d" = ready ] && r="$r $label"; }
one z test_payments.py
one a test-payments.py
one b tests_payments.py
one c payments_tests.py
one d Test_payments.py
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a tracked tier file holding a failing test, named off pytest's pattern, never ran: ready)"
else echo "RESULT: HELD"; fi
