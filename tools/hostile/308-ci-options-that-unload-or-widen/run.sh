#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Command-line options of pytest 9 and the installed plugins that a CI script may pass and that
# turn a failing test into a pass. The promise: options "that narrow or change the judgement
# give incomplete, naming them"; "plugins turned off (-p no:..., or left unloaded by
# PYTEST_DISABLE_PLUGIN_AUTOLOAD) except those the table knows as harmless".
# The project's tracked configuration: pytest-timeout's `timeout = 2`, `--doctest-modules` in
# addopts, and from row (d) on pytest-rerunfailures' `reruns = 2` (with reruns, a timed-out test
# passes its untimed retry: case 312). Tests (one per row): test_slow sleeps 3 s (a
# hang the timeout must fail); test_race fails on its first attempt and passes on a retry, and
# is marked `flaky(reruns=0)`: "never retry this one, a retry hides the race"; mypkg/extra.py
# holds a failing doctest and imports an optional dependency the CI image lacks.
# Rows: (a) control: test_slow, no option: blocked (timeout); (b) `--disable-plugin-autoload -p
# pyramid -p rerunfailures` (pytest 8.4's flag for what PYTEST_DISABLE_PLUGIN_AUTOLOAD does);
# (c) PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 with the same -p (documented as judged); (d) control:
# test_race, no option: blocked; (e) `--reruns-mode=append` (marker and ini counts summed);
# (f) control: the doctest module without its dependency: a collection error; (g)
# `--doctest-ignore-import-errors`.
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
"$PY" - <<'X'
import pathlib
p = pathlib.Path("pyproject.toml")
p.write_text(p.read_text().replace('pythonpath = ["."]', 'pythonpath = ["."]\ntimeout = 2\naddopts = "--doctest-modules"\ntestpaths_x = 1').replace('testpaths = ["tests"]', 'testpaths = ["tests", "mypkg"]').replace('\ntestpaths_x = 1', ''))
X
cat pyproject.toml | sed 's/^/   pyproject: /'
commit init
BROKEN_ROWS=""
erow() {  # erow LABEL BODY [env ...] cmd...
  local label=$1 body=$2; shift 2
  printf '%s\n' "$body" > tests/integration/test_row.py; commit "row $label"
  rm -f "$W/race-count"
  env "$@" > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $label: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$label.out" | cut -c1-70) | $(show 2>/dev/null | grep -m1 -E 'problem|reason' | cut -c1-150)"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
t_slow='import time
from mypkg.core import add
def test_slow():
    time.sleep(3)
    assert add(1, 1) == 2'
t_race="import pytest
from pathlib import Path
from mypkg.core import add
COUNT = Path('$W/race-count')
@pytest.mark.flaky(reruns=0)
def test_race():
    n = int(COUNT.read_text()) if COUNT.exists() else 0
    COUNT.write_text(str(n + 1))
    assert n >= 1, 'lost update: the race the test exists to catch'"
t_plain='from mypkg.core import add
def test_plain():
    assert add(1, 1) == 2'
P="$PY -m pytest -q -p no:cacheprovider"
erow a "$t_slow" $P
erow b "$t_slow" $P --disable-plugin-autoload -p pyramid -p rerunfailures
erow c "$t_slow" PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $P -p pyramid -p rerunfailures
"$PY" - <<'X'
import pathlib
p = pathlib.Path("pyproject.toml")
p.write_text(p.read_text().replace("timeout = 2\n", "timeout = 2\nreruns = 2\n"))
X
commit reruns
erow d "$t_race" $P
erow e "$t_race" $P --reruns-mode=append
w mypkg/extra.py <<'X'
import optional_dependency_not_in_ci  # noqa: F401


def double(x):
    """
    >>> double(2)
    5
    """
    return 2 * x
X
commit extra
erow f "$t_plain" $P
erow g "$t_plain" $P --doctest-ignore-import-errors
if echo "$BROKEN_ROWS" | grep -qwE 'a|d|f'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: an option from the job that unloads a plugin or widens reruns/ignores import errors is not judged: ready)"
else echo "RESULT: HELD"; fi
