#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 12 on the starting facts taken at interpreter start (run/early.py, the `.pth` line) and
# PYTHONPATH judged by value: an entry inside the repository is allowed without asking whether
# git tracks what it holds. Python's `site` imports `sitecustomize` from sys.path *after* the
# `.pth` lines and before anything else: a `sitecustomize.py` in a PYTHONPATH entry runs first
# thing in every process, before pytest, the plugin and its recorder. A developer's
# `export PYTHONPATH=$PWD/devtools` (direnv) with a local, git-ignored sitecustomize that raises
# the recursion limit makes a failing deep-recursion test pass.
# Rows: (a) control: no sitecustomize: blocked (RecursionError); (b) PYTHONPATH=$PWD/devtools,
# devtools/ ignored, holding sitecustomize.py; (c) devtools/ tracked (a README), its
# sitecustomize.py ignored; (d) (b) under -n 2.
# Expected: (b)-(d) not `ready` (code no tree holds ran in every process of the run).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ndevtools/sitecustomize.py\n' >> .gitignore
w tests/integration/test_deep.py <<'X'
def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)

def test_deep():
    assert depth(3000) == 3000
X
mkdir -p devtools && echo "developer tools" > devtools/README
commit init
w devtools/sitecustomize.py <<'X'
import sys
sys.setrecursionlimit(20000)
X
r=""
one() { local label=$1; shift
  env "$@" "$PY" -m pytest -q -p no:cacheprovider ${NARGS:-} > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  show > "$W/show-$label.out"
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out") | $(grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-200)"
  [ "$d" = ready ] && r="$r $label"; }
one a X_UNUSED=1
one c PYTHONPATH="$PWD/devtools"
printf 'devtools/\n' >> .gitignore; git rm -q --cached devtools/README; commit ignoredir
one b PYTHONPATH="$PWD/devtools"
NARGS="-n 2" one d PYTHONPATH="$PWD/devtools"
if echo "$r" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: an ignored sitecustomize.py on an in-repository PYTHONPATH entry ran before the recorder and made a failing test pass: ready)"
else echo "RESULT: HELD"; fi
