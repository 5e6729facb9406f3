#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A sweep of command-line options a CI script might carry, against a project whose only broken test is a
# unittest.TestCase in the unit tier (plain run: blocked). Each option is tried on its own; the case
# fails (FALSE-READY) if any of them yields `ready`.
base_project
w tests/unit/test_tc.py <<'X'
import unittest
from mypkg.core import add

class TestAdd(unittest.TestCase):
    def test_negative(self):
        self.assertEqual(add(-1, -1), 0)   # broken
X
commit init
R=""
while IFS= read -r opts; do
  rm -f pyramid-verdict.json
  "$PY" -m pytest -q $opts > "$W/pytest.out" 2>&1; ex=$?
  d=$(decision); echo "opts: $opts -> pytest exit=$ex decision=$d"
  [ "$d" = ready ] && R="$R [$opts]"
done <<'X'
-p no:cacheprovider
-p no:unittest
--import-mode=importlib
--keep-duplicates tests tests
--lf --lfnf=none
-p no:cacheprovider --pyargs tests
--sw --sw-skip
-p no:cacheprovider --assert=plain
-p no:cacheprovider --runxfail
-p no:cacheprovider --strict-markers -p no:randomly
X
[ -n "$R" ] && echo "RESULT: FALSE-READY with$R" || echo "RESULT: HELD"
