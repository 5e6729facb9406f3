#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 15a, "the whole suite ran" for a unittest suite moved to pytest: unittest's
# `load_tests` protocol (a module function returning the suite: doctests added with
# `doctest.DocTestSuite`, generated cases) is unittest's loader's, and pytest ignores it
# (pytest's docs: "load_tests protocol" is not supported). The module is collected (its
# TestCase classes run), the tests `load_tests` adds never run: the suite `python -m unittest`
# ran is not the suite the verdict counts.
# Rows (tests/integration/test_legacy.py, a unittest module with one passing TestCase):
# (z) control: the failing doctest in mypkg/core.py collected by the tracked
#     `--doctest-modules`: blocked;
# (a) the same doctest added by the module's `load_tests` (DocTestSuite(mypkg.core));
# (b) a failing FunctionTestCase added by `load_tests`.
# Expected: no row `ready` (a test the module defines never ran: named, as a refused
# Test* class is), and `python -m unittest` shows the failure.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w mypkg/core.py <<'X'
def add(a, b):
    """
    >>> add(2, 3)
    5
    """
    return a + b + (a == 2 and b == 3)
X
w tests/integration/test_legacy.py <<'X'
import doctest
import unittest

import mypkg.core


class LegacyTest(unittest.TestCase):
    def test_small(self):
        self.assertEqual(mypkg.core.add(1, 1), 2)


def load_tests(loader, tests, ignore):
    tests.addTests(doctest.DocTestSuite(mypkg.core))
    return tests
X
commit init
r=""
one() { local label=$1; shift
  "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  show > "$W/show-$label.out"
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-50) | $(grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-150)"
  [ "$d" = ready ] && r="$r $label"; }
cp pyproject.toml "$W/pyproject.orig"
w pyproject.toml <<'Y'
[tool.pytest.ini_options]
testpaths = ["tests", "mypkg"]
pythonpath = ["."]
addopts = "--doctest-modules"

[tool.pyramid]
source = ["mypkg"]
Y
commit z; one z
cp "$W/pyproject.orig" pyproject.toml; commit z-off
one a
echo "   python -m unittest: $(PYTHONPATH=. "$PY" -m unittest tests.integration.test_legacy 2>&1 | tail -1)"
w tests/integration/test_legacy.py <<'X'
import unittest

import mypkg.core


class LegacyTest(unittest.TestCase):
    def test_small(self):
        self.assertEqual(mypkg.core.add(1, 1), 2)


def _check_add():
    assert mypkg.core.add(2, 3) == 5


def load_tests(loader, tests, ignore):
    tests.addTest(unittest.FunctionTestCase(_check_add))
    return tests
X
commit b; one b
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: tests a unittest module adds through load_tests never ran, not named: ready)"
else echo "RESULT: HELD"; fi
