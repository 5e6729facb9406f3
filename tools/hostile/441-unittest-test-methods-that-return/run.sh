#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 16a, "a test that returns a value fails" (docs/verdict.md, "the whole suite ran"),
# for unittest suites run by pytest. A `unittest.TestCase` method that returns something
# never ran its body, or ran only part of it:
# - `async def test_*` in a plain TestCase (not IsolatedAsyncioTestCase: a common slip when a
#   client library goes async): the coroutine is created and dropped, "never awaited";
# - a test method with a `yield` left in it (a fixture-style helper pasted in): a generator;
# - a method returning a value (here an assertion method not called).
# Python 3.11 only warns (DeprecationWarning "It is deprecated to return a value that is not
# None from a test case"), pytest passes the test. The same slip in a plain pytest function fails
# (rows y1/y2). Rows (tests/integration/test_row.py; every body would fail if it ran):
# (z) control: a TestCase method with a failing assert: blocked;
# (y1) control: a pytest `async def` test function (pytest 9 fails it); (y2) a pytest test
#      function returning a value;
# (a) TestCase `async def` test; (b) TestCase generator test; (c) TestCase returning a value;
# (d) row a under -n 2; then `pyramid check` on (d)'s verdict.
# Expected: no row `ready` (each is a test that did not run: failed, or named).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
R() { rm -f pyramid-verdict.json; row "$@"; }
R z <<'X'
import unittest
class FetchTest(unittest.TestCase):
    def test_fetch(self):
        self.assertEqual(1, 2)
X
R y1 <<'X'
async def test_fetch():
    assert False
X
R y2 <<'X'
def test_fetch():
    return 1 == 2
X
R a <<'X'
import unittest
class FetchTest(unittest.TestCase):
    async def test_fetch(self):
        self.assertEqual(1, 2)
X
R b <<'X'
import unittest
class GenTest(unittest.TestCase):
    def test_gen(self):
        self.assertEqual(1, 2)
        yield
X
R c <<'X'
import unittest
class RetTest(unittest.TestCase):
    def test_ret(self):
        return self.assertEqual  # the call was lost in a refactoring
X
R d -n 2 <<'X'
import unittest
class FetchTest(unittest.TestCase):
    async def test_fetch(self):
        self.assertEqual(1, 2)
X
echo "   (d) warnings pytest printed: $(grep -h -m1 -oE 'RuntimeWarning: coroutine [^ ]+ was never awaited|DeprecationWarning: It is deprecated[^(]*' "$W/pytest-d.out" "$W/pytest-a.out" | head -1)"
check
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a TestCase method that returned a coroutine/generator/value never ran its body: passed, ready)"
else echo "RESULT: HELD"; fi
