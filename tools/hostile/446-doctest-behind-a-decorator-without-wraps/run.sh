#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 16a, "the whole suite ran" for doctests (the 443 family: a test the source defines
# that pytest never collects, with no name and no skip). The project collects its doctests
# with the tracked `--doctest-modules`; a function's docstring example sits under a
# decorator written without `functools.wraps` (a home-made `@logged`, `@retry`: very common):
# the module attribute is the wrapper, which has no docstring, so doctest's finder finds no
# example there and pytest collects nothing for it. The failing example never runs.
# Rows (mypkg/core.py's `add` has a docstring example that fails):
# (z) control: no decorator: blocked; (y) control: a decorator with functools.wraps: blocked;
# (a) the decorator without wraps; (b) row a under -n 2.
# Expected: no row `ready` (a docstring example in a collected doctest module never ran:
# named, as a test function that yields no test is).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests", "mypkg"]
pythonpath = ["."]
addopts = "--doctest-modules"

[tool.pyramid]
source = ["mypkg"]
X
commit init
r=""
D() { local label=$1; shift; rm -f pyramid-verdict.json; w mypkg/core.py; commit "$label"
  "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$? d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | doctest items: $(grep -c 'mypkg/core.py' "$W/p-$label.out")"
  [ "$d" = ready ] && r="$r $label"; }
D z <<'X'
def add(a, b):
    """
    >>> add(2, 3)
    6
    """
    return a + b
X
D y <<'X'
import functools


def logged(f):
    @functools.wraps(f)
    def inner(*a):
        return f(*a)
    return inner


@logged
def add(a, b):
    """
    >>> add(2, 3)
    6
    """
    return a + b
X
D a <<'X'
def logged(f):
    def inner(*a):
        return f(*a)
    return inner


@logged
def add(a, b):
    """
    >>> add(2, 3)
    6
    """
    return a + b
X
D b -n 2 <<'X'
def logged(f):
    def inner(*a):
        return f(*a)
    return inner


@logged
def add(a, b):
    """
    >>> add(2, 3)
    6
    """
    return a + b
X
check
if echo "$r" | grep -qwE 'z|y'; then echo "RESULT: VACUOUS (a control row was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a failing docstring example under a decorator without functools.wraps was never collected, not named: ready)"
else echo "RESULT: HELD"; fi
