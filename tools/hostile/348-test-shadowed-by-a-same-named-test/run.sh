#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, counts (run/refusals.py, on disk = collected at the level of the test): pytest
# collects a module's namespace, not its source. Two tests of one name in a module (a
# copy-pasted test renamed in its body but not its `def`, a merge that kept both sides) leave
# the first definition unreachable: it never runs, and nothing counts it. ruff/flake8 call it
# F811; the verdict promises that every test written in a collected file ran or is named.
# Rows: (z) control: the two tests named apart: blocked; (a) module functions of one name, the
# first fails; (b) methods of one name in a test class; (c) (a) under -n 2.
# Expected: no row `ready` (a failing test written in a collected file never ran).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
commit init
row z <<'X'
def test_refund():
    assert round(2.675, 2) == 2.68

def test_refund_partial():
    assert 1 + 1 == 2
X
row a <<'X'
def test_refund():
    assert round(2.675, 2) == 2.68

def test_refund():  # copy-pasted, meant test_refund_partial
    assert 1 + 1 == 2
X
row b <<'X'
class TestRefunds:
    def test_refund(self):
        assert round(2.675, 2) == 2.68

    def test_refund(self):
        assert 1 + 1 == 2
X
row c -n 2 <<'X'
def test_refund():
    assert round(2.675, 2) == 2.68

def test_refund():
    assert 1 + 1 == 2
X
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a failing test shadowed by a later one of the same name never ran: ready)"
else echo "RESULT: HELD"; fi
