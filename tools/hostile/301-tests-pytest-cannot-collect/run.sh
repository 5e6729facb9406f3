#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A test written carelessly so that pytest collects the file but not the test: pytest says so
# only as a warning, and the failing test never runs. The promise (docs/verdict.md point 2):
# "every test file on disk under the tiers' paths ... was collected (on disk = collected). No
# test was deselected or dropped." A test class pytest refuses ("cannot collect test class
# 'TestRefund' because it has a __init__ constructor", PytestCollectionWarning) is a test on
# disk that was dropped, and pytest itself names it.
# Every row's test_row.py holds a test that fails (a real bug: add(2, 2) == 5).
# Rows: (a) control: a plain failing function (blocked); (b) the failing test in a class with
# an `__init__` (a helper object "for the fixtures"), the file's only tests; (c) (b) beside a
# passing plain function in the same file; (d) a class that inherits `__test__ = False` from a
# shared base (the base was meant to be abstract); (e) a failing test function decorated
# `@pytest.fixture` by a copy-paste slip (pytest says nothing); (f) a test class made a
# `@dataclass` (dataclasses add `__init__`: pytest warns as in b); (g) a test that `return`s its
# comparison instead of asserting it (pytest: PytestReturnNotNoneWarning, "Did you mean to use
# `assert` instead of `return`?").
# Expected: no row `ready` (a: blocked).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
row a <<'X'
from mypkg.core import add
def test_refund():
    assert add(2, 2) == 5
X
row b <<'X'
from mypkg.core import add
class TestRefund:
    def __init__(self, amount=2):
        self.amount = amount
    def test_refund(self):
        assert add(self.amount, 2) == 5
X
row c <<'X'
from mypkg.core import add
def test_plain():
    assert add(1, 1) == 2
class TestRefund:
    def __init__(self, amount=2):
        self.amount = amount
    def test_refund(self):
        assert add(self.amount, 2) == 5
X
row d <<'X'
from mypkg.core import add
class TestBase:
    __test__ = False          # meant: "don't collect the abstract base"
    amount = 0
    def test_positive(self):
        assert add(self.amount, 2) > 0
class TestRefund(TestBase):
    amount = 2
    def test_refund(self):
        assert add(self.amount, 2) == 5
def test_plain():
    assert add(1, 1) == 2
X
row e <<'X'
import pytest
from mypkg.core import add
def test_plain():
    assert add(1, 1) == 2
@pytest.fixture
def test_refund():
    assert add(2, 2) == 5
X
row f <<'X'
from dataclasses import dataclass
from mypkg.core import add
def test_plain():
    assert add(1, 1) == 2
@dataclass
class TestRefund:
    amount: int = 2
    def test_refund(self):
        assert add(self.amount, 2) == 5
X
row g <<'X'
from mypkg.core import add
def test_plain():
    assert add(1, 1) == 2
def test_refund():
    return add(2, 2) == 5      # `return` where `assert` was meant
X
for l in b c d e f g; do grep -m1 -i -E "cannot collect|ReturnNotNone|fixture" "$W/pytest-$l.out" | cut -c1-150 | sed "s/^/   $l pytest says: /"; done
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (the control row was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a failing test on disk that pytest collected no item for never ran: ready; in b, c, f pytest's own PytestCollectionWarning names the class it dropped, in g its PytestReturnNotNoneWarning names the test; d and e give no signal)"
else echo "RESULT: HELD"; fi
