#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 14 on "on disk = collected" (run/reconcile.py: _stray_tests, run/inventory.py:
# defines_tests, hostile cases 347/351): a tracked .py file the run never looked at that
# defines tests is named. What "defines tests" means is read as pytest's defaults (a
# top-level `def test*`, a class `Test*`), not as the project's own `python_functions` /
# `python_classes`, and only from the module's top level.
# Rows (each: a failing test in a tracked file the run never collected):
# (z) control: `checks/test_refund.py` under default naming, outside testpaths
#     (`testpaths = ["tests"]`): named (347 holds);
# (a) a project whose tests are named `check_*` (python_files = check_*.py, python_functions =
#     check_*, python_classes = Check*, testpaths = ["checks"]) with a new check module put in
#     `qa/check_refund.py` (outside testpaths): `def check_refund(): assert False`;
# (b) (a) as a class `CheckRefund` with a `check_total` method, in `qa/check_totals.py`;
# (c) default naming, a test file whose name misses python_files (`tests/refund-checks.py`)
#     defining its tests inside `if sys.platform != "win32":` (platform-only tests).
# Expected: no row `ready` (a failing test written in the tree never ran).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
r=""
one() { local label=$1
  "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/show-$label.out"; grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-170)"
  [ "$d" = ready ] && r="$r $label"; }
# (z)
w checks/test_refund.py <<'X'
def test_refund():
    assert False
X
commit z; one z; git rm -rq checks; commit z-off
# (c)
w tests/unit/refund-checks.py <<'X'
import sys

if sys.platform != "win32":
    def test_refund_posix():
        assert False
X
commit c; one c; git rm -q tests/unit/refund-checks.py; commit c-off
# (a), (b): the project's own test names
git mv tests checks; rm -rf checks/*/__pycache__  # the old names' bytecode moved along
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["checks"]
pythonpath = ["."]
python_files = ["check_*.py"]
python_functions = ["check_*"]
python_classes = ["Check*"]

[tool.pyramid]
source = ["mypkg"]
X
git mv checks/unit/test_core.py checks/unit/check_core.py
git mv checks/integration/test_int.py checks/integration/check_int.py
sed -i 's/def test_/def check_/' checks/unit/check_core.py checks/integration/check_int.py
commit "own names"
one y   # control: the project's own suite, all collected: ready expected
w qa/check_refund.py <<'X'
def check_refund():
    assert False
X
commit a; one a; git rm -rq qa; commit a-off
w qa/check_totals.py <<'X'
class CheckRefund:
    def check_total(self):
        assert False
X
commit b; one b
if echo "$r" | grep -qwE 'z'; then echo "RESULT: VACUOUS (a control row was ready:$r)"
elif ! echo "$r" | grep -qw y; then echo "RESULT: VACUOUS (control row y, the own-named suite, was not ready: $(grep -m1 problem "$W/show-y.out"))"
else r=${r/ y/}
  if [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a failing test in a tracked file that never ran, not named: ready)"
  else echo "RESULT: HELD"; fi
fi
