#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 14 on "on disk = collected" at the test level (run/refusals.py, hostile cases 346/352):
# pytest refuses a `Test*` class with a constructor ("cannot collect test class ... because it
# has a __init__ constructor", a PytestCollectionWarning that a tracked filter may silence).
# Everyday ways a test class gets one: `@dataclass` on a class holding test data and tests,
# an explicit `__init__` setting defaults, a `__new__` from a mixin.
# Rows (each with the tracked `filterwarnings = ["ignore::pytest.PytestCollectionWarning"]`):
# (z) control: a plain Test class: blocked; (a) `@dataclass class TestRefund`; (b) explicit
# `__init__`; (c) `__new__` inherited from a mixin base; (d) (a) -n 2.
# Expected: no row `ready` (a failing test written in a collected module never ran).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
sed -i 's/^pythonpath = \["."\]$/pythonpath = ["."]\nfilterwarnings = ["ignore::pytest.PytestCollectionWarning"]/' pyproject.toml
commit init
row z <<'X'
class TestRefund:
    amount = 10

    def test_refund(self):
        assert self.amount == 11
X
row a <<'X'
from dataclasses import dataclass


@dataclass
class TestRefund:
    amount: int = 10

    def test_refund(self):
        assert self.amount == 11
X
row b <<'X'
class TestRefund:
    def __init__(self, amount=10):
        self.amount = amount

    def test_refund(self):
        assert self.amount == 11
X
row c <<'X'
class Cached:
    def __new__(cls, *args, **kwargs):
        return super().__new__(cls)


class TestRefund(Cached):
    amount = 10

    def test_refund(self):
        assert self.amount == 11
X
row d -n 2 <<'X'
from dataclasses import dataclass


@dataclass
class TestRefund:
    amount: int = 10

    def test_refund(self):
        assert self.amount == 11
X
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a test class pytest refused for its constructor never ran: ready)"
else echo "RESULT: HELD"; fi
