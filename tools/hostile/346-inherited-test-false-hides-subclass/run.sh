#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, counts (run/refusals.py): the shared-test-base idiom. A base class carries the
# tests and says `__test__ = False` so it is not run itself; each subclass sets what differs
# (an endpoint, a backend) and must say `__test__ = True` again. A subclass that forgets it
# yields no item: its inherited tests never run, the failing one included. The refusal rule
# names a `Test*` class with its *own* test methods that yields nothing; a subclass whose only
# tests are inherited has none of its own, and a unittest.TestCase subclass need not be named
# `Test*` at all (pytest's unittest plugin collects any TestCase).
# Rows: (z) control: the subclass says __test__ = True: blocked (the failing test ran);
# (a) pytest-style subclass forgot it; (b) unittest.TestCase subclass named *Tests forgot it;
# (c) a test function marked not-a-test by a helper decorator (`nottest`, as nose had);
# (d) (a) under -n 2.
# Expected: no row `ready` (a failing test on disk never ran).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
commit init
row z <<'X'
class ContractBase:
    __test__ = False
    endpoint = ""

    def test_status(self):
        assert self.endpoint.startswith("/")

class TestPayments(ContractBase):
    __test__ = True
    endpoint = "pay"  # the bug: no leading slash
X
row a <<'X'
class ContractBase:
    __test__ = False
    endpoint = ""

    def test_status(self):
        assert self.endpoint.startswith("/")

class TestPayments(ContractBase):
    endpoint = "pay"  # the bug: no leading slash; forgot __test__ = True
X
row b <<'X'
import unittest

class ContractBase(unittest.TestCase):
    __test__ = False
    endpoint = ""

    def test_status(self):
        self.assertTrue(self.endpoint.startswith("/"))

class PaymentsTests(ContractBase):
    endpoint = "pay"

    def test_refund(self):
        self.assertEqual(1 + 1, 3)
X
row c <<'X'
def nottest(f):
    f.__test__ = False
    return f

@nottest
def test_payment_roundtrip():
    assert 1 + 1 == 3
X
row d -n 2 <<'X'
class ContractBase:
    __test__ = False
    endpoint = ""

    def test_status(self):
        assert self.endpoint.startswith("/")

class TestPayments(ContractBase):
    endpoint = "pay"
X
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a failing test on disk that pytest never collected (inherited/own __test__ = False), ready)"
else echo "RESULT: HELD"; fi
