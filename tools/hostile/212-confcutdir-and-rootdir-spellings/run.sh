#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A moved `--confcutdir` and `--rootdir` elsewhere are named; are they, whatever the spelling?
# The tracked `tests/conftest.py` has an autouse check that fails the integration test (a
# leaked temporary file); without that conftest the test passes. Rows:
# (a) control; (b) `--confcutdir=tests/integration`; (c) `--confcutdir tests/integration`
# (space); (d) `--confcutdir=tests/integration/./` ; (e) through a git-ignored symlink
# `cut -> tests/integration`; (f) in PYTEST_ADDOPTS; (g) `--rootdir=tests` (node ids relative
# to tests/: the conftest still loads, but the tiers' paths no longer match);
# (h) `--confcutdir=$PWD/tests/integration` (absolute).
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ncut\n' >> .gitignore
w tests/conftest.py <<'X'
import pytest
from pathlib import Path

@pytest.fixture(autouse=True)
def no_leaked_files():
    yield
    assert not Path("leaked.tmp").exists(), "a test leaked leaked.tmp"
X
ln -s tests/integration cut
commit init
body='from pathlib import Path

def test_row():
    Path("leaked.tmp").write_text("x")'
crow() { local l=$1; shift; rm -f leaked.tmp; row "$l" "$@" <<X
$body
X
rm -f leaked.tmp; }
crow a
crow b --confcutdir=tests/integration
crow c --confcutdir tests/integration
crow d --confcutdir=tests/integration/./
crow e --confcutdir=cut
export PYTEST_ADDOPTS="--confcutdir=tests/integration"; crow f; unset PYTEST_ADDOPTS
crow g --rootdir=tests
crow h --confcutdir=$PWD/tests/integration
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a conftest left out by a spelling of --confcutdir/--rootdir: ready)"
else echo "RESULT: HELD"; fi
