#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, tiers and gates: a test's tier comes first from its markers, and a team maps the
# markers it already uses onto tiers (`[tool.pyramid.tiers.performance] markers = ["slow"]`).
# `release_tiers` names the tiers a release needs. A failing unit test that also carries
# `slow` (the team's habit for anything over a second), or a performance marker left on it,
# lands in a tier the release does not require: does its failure still block?
# Rows: (z) control: the failing test unmarked: blocked; (a) marked `slow` (mapped onto the
# performance tier); (b) marked `performance` directly; (c) (a) under -n 2.
# Expected: no row `ready` (a test failed in the run; pytest's exit is 1).
base_project
printf 'pyramid-verdict*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'
release_tiers = ["unit", "integration"]

[tool.pyramid.tiers.performance]
markers = ["slow"]
X
"$PY" - <<'X'
import re
s = open("pyproject.toml").read()
s = s.replace('[tool.pytest.ini_options]\n', '[tool.pytest.ini_options]\nmarkers = ["slow: over a second"]\n')
open("pyproject.toml", "w").write(s)
X
commit init
row z <<'X'
def test_refund():
    assert round(2.675, 2) == 2.68
X
row a <<'X'
import pytest

@pytest.mark.slow
def test_refund():
    assert round(2.675, 2) == 2.68
X
row b <<'X'
import pytest

@pytest.mark.performance
def test_refund():
    assert round(2.675, 2) == 2.68
X
row c -n 2 <<'X'
import pytest

@pytest.mark.slow
def test_refund():
    assert round(2.675, 2) == 2.68
X
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a failed test in a tier the release does not require: ready)"
else echo "RESULT: HELD"; fi
