#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# unittest subTest and pytest 9's built-in `subtests` fixture: a failing subtest.
# Expected: blocked (a test failed; pytest exits 1).
base_project
w tests/unit/test_sub.py <<'X'
import unittest
from mypkg.core import add

class T(unittest.TestCase):
    def test_many(self):
        for a in range(3):
            with self.subTest(a=a):
                self.assertEqual(add(a, 1), 2)   # fails for a=0 and a=2

def test_fixture_subtests(subtests):
    for a in range(3):
        with subtests.test(a=a):
            assert add(a, 1) == 2
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -8 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || { 
  f=$(jget pyramid-verdict.json tiers.unit.failed); echo "unit failed=$f";
  [ "$f" = 0 ] && echo "RESULT: WRONG-FIELD tiers.unit.failed=0 while subtests failed" || echo "RESULT: HELD"; }
