#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The CI environment exports PYTHONOPTIMIZE=1 (e.g. copied from the production image). Asserts in
# helper modules (not rewritten by pytest) and in the code under test are stripped.
# A test whose check lives in a helper module passes although the code is broken.
base_project
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
w tests/helpers.py <<'X'
def check_sum(f, a, b, expected):
    assert f(a, b) == expected, "wrong sum"
X
w tests/unit/test_core.py <<'X'
import sys
sys.path.insert(0, __import__("os").path.dirname(__file__) + "/..")
from helpers import check_sum
from mypkg.core import add

def test_add():
    check_sum(add, 1, 2, 3)
X
w tests/integration/test_int.py <<'X'
from mypkg.core import add

def test_int():
    assert add(2, 0) == 2
X
commit init
echo "--- without PYTHONOPTIMIZE:"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
echo "--- with PYTHONOPTIMIZE=1:"
PYTHONOPTIMIZE=1 "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -4 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
