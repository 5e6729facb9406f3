#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test reads expected values from a shelve (dbm) file git ignores. dbm opens the file in C.
# Expected: not ready.
base_project
echo "golden/" >> .gitignore
w tests/integration/test_shelf.py <<'X'
import shelve
from pathlib import Path

def test_shelf():
    with shelve.open(str(Path(__file__).parents[2] / "golden" / "expected"), flag="r") as shelf:
        assert shelf["result"] == 5
X
commit init
mkdir -p golden; "$PY" -c 'import shelve; s=shelve.open("golden/expected"); s["result"]=5; s.close()'
ls golden
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: the test read a git-ignored dbm/shelve file)" || echo "RESULT: HELD ($(decision))"
