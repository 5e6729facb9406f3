#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 15a, the tier budget (README "budget: the tier's wall time, first test's start to last
# test's end", a blocking gate where a tier sets one): the integration tier's real cost is
# usually its session fixtures (a database container started and dropped), not its tests'
# bodies. Is the time a tier's fixtures take before its first test and after its last one
# (setup and teardown phases) part of the tier's wall time, serially and under `-n 2`?
# Rows (budget = "3s" on the integration tier; each row's slow part takes 5 s):
# (z) control: a test body sleeps 5 s: budget gate fails (blocked);
# (a) a session-scoped fixture of tests/integration/conftest.py sleeps 5 s in its setup;
# (b) the same fixture sleeps 5 s in its teardown (after the tier's last test);
# (c) (a) under `-n 2`;
# (d) a module-scoped fixture sleeps 5 s in setup.
# Expected: no row `ready` (the tier took more than its budget, whatever phase spent it).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.integration]
budget = "3s"
X
commit init
r=""
one() { local label=$1; shift
  w tests/integration/conftest.py; commit "$label"
  "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  show > "$W/show-$label.out"
  echo "row $label: exit=$e decision=$d wall=$(jget pyramid-verdict.json tiers.integration.wall_time_s) | $(tail -1 "$W/p-$label.out" | cut -c1-40) | $(grep -m1 -E 'reason' "$W/show-$label.out" | cut -c1-120)"
  [ "$d" = ready ] && r="$r $label"; }
one z <<'X'
import time

import pytest


@pytest.fixture(autouse=True)
def slow_body():
    time.sleep(5)
X
one a <<'X'
import time

import pytest


@pytest.fixture(scope="session", autouse=True)
def database():
    time.sleep(5)  # start the container
    yield
X
one b <<'X'
import time

import pytest


@pytest.fixture(scope="session", autouse=True)
def database():
    yield
    time.sleep(5)  # drop the container
X
w tests/integration/test_more.py <<'X'
def test_more():
    assert True
X
one c -n 2 <<'X'
import time

import pytest


@pytest.fixture(scope="session", autouse=True)
def database():
    time.sleep(5)  # start the container
    yield
X
one d <<'X'
import time

import pytest


@pytest.fixture(scope="module", autouse=True)
def database():
    time.sleep(5)
    yield
X
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: a tier whose fixtures took more than its budget passed the budget gate: ready)"
else echo "RESULT: HELD"; fi
