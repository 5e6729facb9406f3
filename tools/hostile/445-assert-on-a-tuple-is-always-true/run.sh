#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 16a, the same family as 444 (pytest's own finding about a test left out of its
# outcome): `assert (add(2, 2) == 5, "sum is wrong")` - a message put in parentheses, a classic
# slip - asserts a non-empty tuple: always true. pytest's assertion rewriter sees it and warns
# (PytestAssertRewriteWarning "assertion is always true, perhaps remove parentheses?"), at
# rewrite time only: once the rewritten module is cached, a later run prints nothing.
# Rows (tests/integration/test_row.py):
# (z) control: `assert add(2, 2) == 5, "sum is wrong"`: blocked;
# (a) the tuple assert (first run: rewritten, warned); (b) the same again (the rewritten
#     module cached in __pycache__: no warning at all); (c) the tuple assert under -n 2.
# Expected: no row `ready` (an assertion the interpreter itself can never fail is no test;
# pytest said so once).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
R() { rm -f pyramid-verdict.json; row "$@"; }
R z <<'X'
from mypkg.core import add
def test_sum():
    assert add(2, 2) == 5, "sum is wrong"
X
BODY='from mypkg.core import add
def test_sum():
    assert (add(2, 2) == 5, "sum is wrong")'
rm -f pyramid-verdict.json
row a <<<"$BODY"
echo "   (a) pytest said: $(grep -h -m1 -o 'PytestAssertRewriteWarning: assertion is always true[^?]*?' "$W/pytest-a.out")"
rm -f pyramid-verdict.json
row b <<<"$BODY"
echo "   (b) warnings printed: $(grep -c 'always true' "$W/pytest-b.out")"
rm -rf tests/integration/__pycache__
rm -f pyramid-verdict.json
row c -n 2 <<<"$BODY"
check
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: an assert on a tuple, which pytest's rewriter flags as always true, passed: ready)"
else echo "RESULT: HELD"; fi
