#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# pytest 9's built-in `subtests` fixture (case 07 tried the pytest-subtests plugin of round 1).
# A subtest's failure is reported by its own report type; the test's own call passes. Rows:
# (a) one failing subtest of three, serial; (b) the same under -n 2; (c) a failing subtest
# after `subtests.test()` raised `pytest.skip` in another one; (d) a failing subtest in a
# test that is `xfail(strict=False)` for a different reason (`raises=KeyError`); (e) two
# failing subtests with the same `msg` (one id), -n 2.
# Expected: no row `ready` (a failed check is a failed test: `tests.pass_rate` blocks), and
# the integration counts say failed=1 where a subtest failed.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
S='def test_row(subtests):
    for i in range(3):
        with subtests.test(msg="case", i=i):
            assert i != 1, "a real bug"'
row a <<X
$S
X
echo "   (a) integration failed=$(jget pyramid-verdict.json tiers.integration.failed) passed=$(jget pyramid-verdict.json tiers.integration.passed)"
row b -n 2 <<X
$S
X
echo "   (b) integration failed=$(jget pyramid-verdict.json tiers.integration.failed) passed=$(jget pyramid-verdict.json tiers.integration.passed)"
row c <<'X'
import pytest

def test_row(subtests):
    with subtests.test(msg="skipped"):
        pytest.skip("not here")
    with subtests.test(msg="checked"):
        assert False, "a real bug"
X
echo "   (c) integration failed=$(jget pyramid-verdict.json tiers.integration.failed) passed=$(jget pyramid-verdict.json tiers.integration.passed)"
row d <<'X'
import pytest

@pytest.mark.xfail(raises=KeyError, strict=False, reason="lookup not done yet")
def test_row(subtests):
    with subtests.test(msg="checked"):
        assert False, "a real bug"
X
echo "   (d) integration failed=$(jget pyramid-verdict.json tiers.integration.failed) xfailed=$(jget pyramid-verdict.json tiers.integration.xfailed) passed=$(jget pyramid-verdict.json tiers.integration.passed)"
row e -n 2 <<'X'
def test_row(subtests):
    for i in range(2):
        with subtests.test(msg="same"):
            assert False, "a real bug"
X
echo "   (e) integration failed=$(jget pyramid-verdict.json tiers.integration.failed) passed=$(jget pyramid-verdict.json tiers.integration.passed)"
if [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a failed subtest did not block: ready)"
else echo "RESULT: HELD"; fi
