#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, code that is not the tree's (run/loaded.py): "a package of the project imported
# from somewhere else" is judged for the packages `[tool.pyramid] source` names (or, without
# it, the tree's top-level packages). A project that sets `source = ["mypkg"]` (for coverage)
# also keeps a tracked test-helper package at the top (`testing_utils/`: assertion helpers,
# factories). `find_packages()` without an exclude installs it too, so an old `pip install .`
# leaves a stale copy in the environment; run as `pytest` (no cwd on sys.path; pythonpath
# names only the package's folder), the tests import the stale helper, whose tolerance is
# lax: the tree's helper never ran, and the assertions the tests make are not the tree's.
# Rows: (z) control: `python -m pytest` (the tree's helper first): blocked; (a) `pytest` with
# source = ["mypkg"]: the installed helper; (b) (a) without [tool.pyramid] source (the
# default source is the tree's top-level packages): the principle's control; (c) (a) -n 2
# (incomplete for another reason: the fake environment's xdist workers are `python <unrecorded>`).
# Expected: no row `ready` (a package the tree holds ran from an installed copy).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
sed -i 's/^pythonpath = \["."\]$/pythonpath = ["src"]/' pyproject.toml
mkdir -p src; git mv mypkg src/ 2>/dev/null || mv mypkg src/
w src/mypkg/rates.py <<'X'
def rate(code):
    return {"EUR": 1.0}[code]  # the bug: the real rate is 1.1
X
w testing_utils/__init__.py <<'X'
def close(a, b):
    return abs(a - b) < 1e-9
X
w tests/integration/test_row.py <<'X'
from mypkg.rates import rate
from testing_utils import close

def test_eur():
    assert close(rate("EUR"), 1.1)
X
commit init
fake_venv "$W/venv"
mkdir -p "$SP/testing_utils"
printf 'def close(a, b):\n    return abs(a - b) < 0.5  # the old, lax helper\n' > "$SP/testing_utils/__init__.py"
r=""
one() { local label=$1; shift
  "$@" -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/s-$label.out"; grep -m1 -E 'problem' "$W/s-$label.out" | cut -c1-170)"
  [ "$d" = ready ] && r="$r $label"; }
one z "$W/venv/bin/python" -m pytest
one a "$W/venv/bin/pytest"
one c "$W/venv/bin/pytest" -n 2
sed -i 's/^source = \["mypkg"\]$//' pyproject.toml; commit "default source"
one b "$W/venv/bin/pytest"
if echo "$r" | grep -qwE 'z|b'; then echo "RESULT: VACUOUS (a control row was ready:$r)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a tracked helper package outside source ran from a stale installed copy: ready)"
else echo "RESULT: HELD"; fi
