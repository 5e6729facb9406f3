#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test loads a git-ignored shared library built locally (ctypes.CDLL): the dynamic loader opens it
# in C, no Python open(). Expected: not ready (code under the repository that is not in the tree ran).
base_project
echo "native/*.so" >> .gitignore
w native/answer.c <<'X'
int answer(void) { return 42; }
X
w tests/integration/test_native.py <<'X'
import ctypes
from pathlib import Path

def test_native():
    lib = ctypes.CDLL(str(Path(__file__).parents[2] / "native" / "libanswer.so"))
    assert lib.answer() == 42
X
commit init
gcc -shared -fPIC -o native/libanswer.so native/answer.c || echo "no compiler"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a git-ignored shared library was loaded)" || echo "RESULT: HELD ($(decision))"
