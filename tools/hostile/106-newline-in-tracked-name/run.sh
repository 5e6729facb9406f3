#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked file whose folder name holds a newline: "tests/x<NL>mypkg/local.py" - read line by line, git's
# listing would name "mypkg/local.py" as tracked. A git-ignored mypkg/local.py with the same bytes is
# then imported by a test. Expected: closed_world incomplete (mypkg/local.py is not in the tree).
base_project
echo "mypkg/local.py" >> .gitignore
w tests/unit/test_local.py <<'X'
from mypkg import local

def test_local():
    assert local.VALUE == 1
X
mkdir -p "tests/x
mypkg"; printf 'VALUE = 1\n' > "tests/x
mypkg/local.py"
commit init
printf 'VALUE = 1\n' > mypkg/local.py
git ls-files | cat -A | head -8
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -4
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: an ignored module passed the closed world through a newline in a tracked name)" || echo "RESULT: HELD ($(decision))"
