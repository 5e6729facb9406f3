#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, counts (run/refusals.py): some of what pytest refuses to collect is known to the
# verdict only through pytest's own PytestCollectionWarning ("cannot collect 'test_x' because
# it is not a function": a `test_*` name bound to a functools.partial, or to an object a
# class-based decorator returns). Projects commonly silence that warning in their tracked
# settings (`filterwarnings = ["ignore::pytest.PytestCollectionWarning"]`, the usual answer to
# "cannot collect test class 'TestConfig' because it has a __init__ constructor" noise). A
# filter that silences a message is no decision that a test need not run.
# Rows: (z) control: the failing test as a plain function: blocked; (a) behind a class-based
# retry decorator (its object is callable, not a function), no filter; (b) the same with the
# tracked filter; (c) (b) under -n 2. (A functools.partial is collected and run by pytest 9.)
# Expected: no row `ready` (a failing test written in a collected file never ran).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
commit init
FILTER='filterwarnings = ["ignore::pytest.PytestCollectionWarning"]'
setfilter() {
"$PY" - "$1" <<'X'
import sys
s = open("pyproject.toml").read()
line = 'filterwarnings = ["ignore::pytest.PytestCollectionWarning"]\n'
s = s.replace(line, "")
if sys.argv[1] == "on":
    s = s.replace('[tool.pytest.ini_options]\n', '[tool.pytest.ini_options]\n' + line)
open("pyproject.toml", "w").write(s)
X
}
setfilter off
row z <<'X'
def test_rounding():
    assert round(2.675, 2) == 2.68
X
row a <<'X'
class retry:
    """Retry a flaky check up to `times` times (a class-based decorator)."""
    def __init__(self, times):
        self.times = times
    def __call__(self, func):
        outer = self
        class Runner:
            def __call__(self, *a, **k):
                for _ in range(outer.times - 1):
                    try:
                        return func(*a, **k)
                    except AssertionError:
                        pass
                return func(*a, **k)
        return Runner()

@retry(3)
def test_rounding():
    assert round(2.675, 2) == 2.68
X
setfilter on
row b <<'X'
class retry:
    """Retry a flaky check up to `times` times (a class-based decorator)."""
    def __init__(self, times):
        self.times = times
    def __call__(self, func):
        outer = self
        class Runner:
            def __call__(self, *a, **k):
                for _ in range(outer.times - 1):
                    try:
                        return func(*a, **k)
                    except AssertionError:
                        pass
                return func(*a, **k)
        return Runner()

@retry(3)
def test_rounding():
    assert round(2.675, 2) == 2.68
X
row c -n 2 <<'X'
class retry:
    """Retry a flaky check up to `times` times (a class-based decorator)."""
    def __init__(self, times):
        self.times = times
    def __call__(self, func):
        outer = self
        class Runner:
            def __call__(self, *a, **k):
                for _ in range(outer.times - 1):
                    try:
                        return func(*a, **k)
                    except AssertionError:
                        pass
                return func(*a, **k)
        return Runner()

@retry(3)
def test_rounding():
    assert round(2.675, 2) == 2.68
X
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a refused test known only by a collection warning the tracked filter silenced: ready)"
else echo "RESULT: HELD"; fi
