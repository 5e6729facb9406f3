#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The workspace rule (case 205) leaves bytecode out "by what it is": run/workspace.py's
# `candidates` drops every listed entry with `__pycache__` among its folders or a name ending
# in `.pyc`/`.pyo`, because "the closed world's bytecode rule judges the bytecode a run
# loads". Nothing loads these: they are looked at. The .gitignore is the everyday one
# (`__pycache__/`, `*.py[cod]`). A failing test skips itself when the marker exists.
# Rows: (a) control: ignored `tests/data/.skip-broken`; (b) `tests/__pycache__/skip-broken`
# (a plain file in a bytecode folder); (c) `tests/known-broken.pyc` (an empty file: its
# presence is the answer); (d) an ignored folder `tests/fixtures.pyc/` holding `.skip-broken`.
# Expected: no row `ready` (a clean clone fails the test).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n*.py[cod]\ntests/data/\n' >> .gitignore
commit init
body() { cat <<'X'
from pathlib import Path
import pytest
T = Path(__file__).parent.parent
MARKS = ["data/.skip-broken", "__pycache__/skip-broken", "known-broken.pyc", "fixtures.pyc/.skip-broken"]
def test_row():
    if any((T / m).exists() for m in MARKS):
        pytest.skip("known broken locally")
    assert False, "a real bug"
X
}
clean() { rm -rf tests/data tests/__pycache__/skip-broken tests/known-broken.pyc tests/fixtures.pyc; }
mkdir -p tests/data; touch tests/data/.skip-broken
row a < <(body)
clean; mkdir -p tests/__pycache__; touch tests/__pycache__/skip-broken
row b < <(body)
clean; touch tests/known-broken.pyc
row c < <(body)
clean; mkdir -p tests/fixtures.pyc; touch tests/fixtures.pyc/.skip-broken
row d < <(body)
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: ignored files named like bytecode, looked at, not loaded: ready)"
else echo "RESULT: HELD"; fi
