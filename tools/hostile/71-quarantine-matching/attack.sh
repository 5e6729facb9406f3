#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# One test is quarantined (owner, reason, expiry in the future). Failing tests that are NOT that test:
# one whose node id merely starts with the quarantined id (test_add -> test_add_negative), one in a file
# whose path starts with the quarantined file's path, a same-named test function in another module.
# Expected: each of those failures blocks (quarantine excuses only the quarantined test).
base_project
cat >> pyproject.toml <<'X'

[[tool.pyramid.quarantine]]
test = "tests/unit/test_core.py::test_add"
owner = "team-a"
reason = "flaky on CI (#123)"
expires = "2099-01-01"
X
commit init
R=""
try_case() { # $1 description, $2 file, $3 content
  git rm -q --cached -r tests/unit/extra 2>/dev/null; rm -rf tests/unit/extra tests/unit/test_core_more.py tests/unit/test_core.py.bak
  w "$2" <<< "$3"; git add -A >/dev/null; git commit -qm "$1" >/dev/null
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; ex=$?
  echo "[$1] pytest exit=$ex decision=$(decision) reasons=$(jget pyramid-verdict.json reasons | head -c 160)"
  [ "$(decision)" = ready ] && R="$R [$1]"
  git rm -q "$2" >/dev/null; git commit -qm "rm" >/dev/null
}
git rm -q tests/unit/test_core.py >/dev/null; w tests/unit/test_core.py <<'X'
from mypkg.core import add

def test_add():
    assert add(1, 2) == 3

def test_add_negative():
    assert add(-1, -1) == 0, "broken"
X
git add -A; git commit -qm "negative" >/dev/null
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; ex=$?
echo "[test_add_negative (id prefix)] pytest exit=$ex decision=$(decision) reasons=$(jget pyramid-verdict.json reasons | head -c 160)"
[ "$(decision)" = ready ] && R="$R [test_add_negative]"
git checkout -q HEAD~1 -- tests/unit/test_core.py; git commit -qm back >/dev/null
try_case "file path prefix" tests/unit/test_core.py_extra/test_x.py 'def test_add():
    assert False, "broken"'
try_case "same test name in another module" tests/unit/extra/test_other.py 'def test_add():
    assert False, "broken"'
[ -n "$R" ] && echo "RESULT: FALSE-READY with$R" || echo "RESULT: HELD"
