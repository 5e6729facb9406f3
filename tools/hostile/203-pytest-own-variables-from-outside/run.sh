#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The invocation table classifies variables pytest and xdist set *for themselves* as
# outcome-preserving ("set by xdist in its workers", "set by pytest itself"). Inherited from
# outside by a serial run (a CI job's environment), they are settings from outside, and suites
# read them: "not safe under xdist: skip" is an everyday guard. The integration test's body
# fails (a real bug) and skips itself when the variable says it runs under xdist / inside
# another test. Rows (serial runs): (a) control: no variable (blocked); (b) PYTEST_XDIST_WORKER=gw0;
# (c) PYTEST_XDIST_WORKER_COUNT=2; (d) PYTEST_CURRENT_TEST="x.py::t (call)";
# (e) PYTEST_XDIST_TESTRUNUID=abc; (f) (b) with a spool folder made by hand.
# Expected: (a) blocked; (b)-(f) not `ready` (a variable the run did not set for itself, from
# outside, decided an outcome: incomplete naming it).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
vrow() {  # vrow LABEL VAR VALUE
  local label=$1 var=$2 val=$3
  [ -n "$var" ] && export "$var=$val"
  row "$label" <<X
import os, pytest

@pytest.mark.skipif("$var" != "" and "$var" in os.environ, reason="not safe when $var says so")
def test_row():
    assert False, "a real bug"
X
  [ -n "$var" ] && unset "$var"
}
vrow a "" ""
vrow b PYTEST_XDIST_WORKER gw0
vrow c PYTEST_XDIST_WORKER_COUNT 2
vrow d PYTEST_CURRENT_TEST "x.py::t (call)"
vrow e PYTEST_XDIST_TESTRUNUID abc
# (f), round 9's target: the job also names a spool folder it made by hand, so the run takes
# itself for one a live recording run started (the excuse of the variables above). Expected:
# incomplete, as (b): only a run file naming an ancestor process is such a run (run/lineage.py)
mkdir -m 700 -p "$W/pyramid-forks-made"
export PYRAMID_RECORD_SPOOL="{\"spool\": \"$W/pyramid-forks-made\", \"root\": \"$W/proj\", \"project\": \"$W/proj\", \"started_ns\": 0}"
vrow f PYTEST_XDIST_WORKER gw0
unset PYRAMID_RECORD_SPOOL
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a variable pytest/xdist sets for itself, inherited from outside, skipped a failing test: ready)"
else echo "RESULT: HELD"; fi
