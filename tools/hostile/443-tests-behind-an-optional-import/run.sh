#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 16a, "the whole suite ran": tests a file defines only when an optional dependency
# imports (`try: import yaml / except ImportError: pass / else: def test_...`, or a class body's
# `if yaml is not None:`). The CI image lacks the dependency (an extra not installed, a
# renamed package): the tests are never defined, pytest collects the rest, and nothing says so.
# `pytest.importorskip` would have said it (a module skip); a top-level `test_*` function that
# yields no test is named (tests_not_collected), one nested in a top-level `try`/`if` or in a
# class body's `if` is not looked at.
# Rows (tests/integration/test_row.py; the optional import is a module no environment has):
# (z) control: the same failing test at top level, dependency-free: blocked;
# (y) control: the dependency taken by `pytest.importorskip`: the module skip is counted
#     (the tier ran on test_int.py; whether that is ready is the project's skip);
# (a) failing test defined in `try/except ImportError/else`; (b) under `if HAVE_X:`;
# (c) a test method under a class body's `if`; (d) row a under -n 2.
# Expected: rows a-d not `ready`: a test function on disk that yields no test is named,
# wherever in the module's top-level statements it is defined.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
R() { rm -f pyramid-verdict.json; row "$@"; }
R z <<'X'
def test_ok():
    pass
def test_numbers():
    assert False
X
R y <<'X'
import pytest
np = pytest.importorskip("numpy_not_installed_here")
def test_numbers():
    assert False
X
echo "   (y) integration tier: $(jget pyramid-verdict.json tiers.integration | tr -d ' ' | cut -c1-200)"
R a <<'X'
def test_ok():
    pass
try:
    import numpy_not_installed_here as np
except ImportError:
    pass
else:
    def test_numbers():
        assert False
X
R b <<'X'
import importlib.util
HAVE_NP = importlib.util.find_spec("numpy_not_installed_here") is not None
def test_ok():
    pass
if HAVE_NP:
    def test_numbers():
        assert False
X
R c <<'X'
try:
    import numpy_not_installed_here as np
except ImportError:
    np = None
def test_ok():
    pass
class TestNumbers:
    if np is not None:
        def test_sum(self):
            assert False
X
R d -n 2 <<'X'
def test_ok():
    pass
try:
    import numpy_not_installed_here as np
except ImportError:
    pass
else:
    def test_numbers():
        assert False
X
check
BROKEN_ROWS=$(echo "$BROKEN_ROWS" | sed 's/\<y\>//')
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$(echo $BROKEN_ROWS)" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: tests defined only when an optional import succeeds vanished without a skip or a name: ready)"
else echo "RESULT: HELD"; fi
