#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, plugins turned off (run/invocation.py: DISABLE): `-p no:hypothesispytest` is
# listed as harmless ("hypothesis runs every @given test without it; the plugin adds options,
# statistics and a usage health check, not the test's assertions"). The table's own criterion
# is "only plugins whose absence can only make a test error, or changes output and order
# alone". Hypothesis's pytest plugin *fails* tests in `pytest_runtest_call`: a @given test
# that takes a function-scoped fixture (not reset between examples: the usual source of
# subtle state bugs) fails its health check (FailedHealthCheck), and @settings/@example on a
# test without @given is an InvalidArgument error. Without the plugin both pass.
# Rows: (z) control: the plain run: blocked (the health check fails the test); (a)
# `-p no:hypothesispytest` on the command line; (b) the same through PYTEST_ADDOPTS; (c) (a)
# under -n 2.
# Expected: no row `ready` (turning a plugin off from CI turned a failing test into a pass).
base_project
printf 'pyramid-verdict*\n.pyramid/\n.hypothesis/\n' >> .gitignore
w tests/integration/test_row.py <<'X'
import pytest
from hypothesis import given, strategies as st

from mypkg.core import add


@pytest.fixture
def ledger():
    return []


@given(st.integers())
def test_ledger(ledger, x):
    ledger.append(add(x, 0))  # the fixture is never reset between examples
    assert ledger[-1] == x
X
commit init
r=""
one() { local label=$1; shift
  env "${ENVS[@]}" "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out" | cut -c1-60) | $(show > "$W/s-$label.out"; grep -m1 -E 'problem|reason' "$W/s-$label.out" | cut -c1-140)"
  [ "$d" = ready ] && r="$r $label"; }
ENVS=(X_UNUSED=1)
one z
one a -p no:hypothesispytest
ENVS=(PYTEST_ADDOPTS=-pno:hypothesispytest)
one b
ENVS=(X_UNUSED=1)
one c -p no:hypothesispytest -n 2
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: hypothesis's pytest plugin, listed harmless to leave out, fails tests; without it the failing test passed: ready)"
else echo "RESULT: HELD"; fi
