#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 14 on code that is not the tree's (run/loaded.py, hostile case 356: "every top-level
# package and module the tree tracks is the project's code when imported"). A helper module
# beside the tests (`tests/integration/helpers.py`, imported as `helpers` by its neighbours) is
# top-level by sys.path, not by the tree's root. The project moves to pytest's recommended
# `--import-mode=importlib` (or `append`): the test's folder is no longer put first on
# sys.path, and `import helpers` finds a stale `helpers` the environment holds (an old
# `pip install .` with `py_modules=["helpers"]`, before the helper moved beside the tests),
# whose tolerance is lax. The tree's helper never ran.
# Rows: (z) control: default prepend mode (the tree's helper: blocked); (a) tracked
# `addopts = "--import-mode=importlib"`; (b) tracked `--import-mode=append`.
# Expected: no row `ready` (a module of the tree ran from an installed copy).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w mypkg/rates.py <<'X'
def rate(code):
    return {"EUR": 1.0}[code]  # the bug: the real rate is 1.1
X
w tests/integration/helpers.py <<'X'
def close(a, b):
    return abs(a - b) < 1e-9
X
w tests/integration/test_row.py <<'X'
from helpers import close
from mypkg.rates import rate


def test_eur():
    assert close(rate("EUR"), 1.1)
X
commit init
fake_venv "$W/venv"
printf 'def close(a, b):\n    return abs(a - b) < 0.5  # the old, lax helper\n' > "$SP/helpers.py"
r=""
one() { local label=$1; shift
  "$W/venv/bin/python" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/s-$label.out"; grep -m1 -E 'problem' "$W/s-$label.out" | cut -c1-170)"
  [ "$d" = ready ] && r="$r $label"; }
one z
sed -i 's/^pythonpath = \["."\]$/pythonpath = ["."]\naddopts = "--import-mode=importlib"/' pyproject.toml; commit importlib
one a
sed -i 's/--import-mode=importlib/--import-mode=append/' pyproject.toml; commit append
one b
if echo "$r" | grep -qwE 'z'; then echo "RESULT: VACUOUS (a control row was ready:$r)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a helper module beside the tests ran from a stale installed copy: ready)"
else echo "RESULT: HELD"; fi
