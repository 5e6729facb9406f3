#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 14 on "on disk = collected" (run/reconcile.py: _stray_tests, hostile cases 347/351): a
# tracked file defining tests that the run never collected is named unless the run "read" it
# (a helper, a data file: `_read_by_run`). Many suites hold a tree-wide hygiene test that
# reads every `.py` file of the repository (a licence header check, `py_compile` of every
# module, a "no print()" grep). Its reads make every file of the tree "read by the run", so a
# failing test file that pytest never collected (outside testpaths) is no stray any more.
# Rows: (z) control: the stray `checks/test_refund.py` without the hygiene test: named;
# (a) with tests/unit/test_headers.py reading every tracked .py file's first line;
# (b) with tests/unit/test_compiles.py running py_compile over every .py file.
# Expected: no row `ready` (a failing test written in the tree never ran).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
echo '# Copyright the shop' > mypkg/__init__.py; sed -i '1i # Copyright the shop' mypkg/core.py tests/unit/test_core.py tests/integration/test_int.py
w checks/test_refund.py <<'X'
# Copyright the shop
def test_refund():
    assert False
X
commit init
r=""
one() { local label=$1
  "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/show-$label.out"; grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-170)"
  [ "$d" = ready ] && r="$r $label"; }
one z
w tests/unit/test_headers.py <<'X'
# Copyright the shop
import subprocess
from pathlib import Path


def test_every_module_has_the_header():
    files = subprocess.run(["git", "ls-files", "*.py"], capture_output=True, text=True,
                           check=True).stdout.split()
    missing = [f for f in files if Path(f).read_text().splitlines()[:1] != ["# Copyright the shop"]]
    assert not missing
X
commit a; one a; git rm -q tests/unit/test_headers.py; rm -rf tests/*/__pycache__; commit a-off
w tests/unit/test_compiles.py <<'X'
# Copyright the shop
import py_compile
import tempfile
from pathlib import Path


def test_every_module_compiles(tmp_path):
    for f in Path(".").rglob("*.py"):
        if ".venv" not in f.parts:
            py_compile.compile(str(f), cfile=str(tmp_path / "x.pyc"), doraise=True)
X
commit b; one b
if echo "$r" | grep -qwE 'z'; then echo "RESULT: VACUOUS (a control row was ready:$r)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a stray failing test file read by a tree-wide hygiene test counted as read, not named: ready)"
else echo "RESULT: HELD"; fi
