#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The invocation table classifies variables pytest and xdist set *for themselves* as
# outcome-preserving ("set by xdist in its workers", "set by pytest itself"). Inherited from
# outside by a serial run (a CI job's environment), they are settings from outside, and suites
# read them: "not safe under xdist: skip" is an everyday guard. The integration test's body
# fails (a real bug) and skips itself when the variable says it runs under xdist / inside
# another test. Rows (serial runs): (a) control: no variable (blocked); (b) PYTEST_XDIST_WORKER=gw0;
# (c) PYTEST_XDIST_WORKER_COUNT=2; (d) PYTEST_CURRENT_TEST="x.py::t (call)";
# (e) PYTEST_XDIST_TESTRUNUID=abc; (f) (b) with a spool folder made by hand; (g) (b) with a
# forged run file naming the job's own shell.
# Expected: (a) blocked; (b)-(f) not `ready` (a variable the run did not set for itself, from
# outside, decided an outcome: incomplete naming it); (g) refused by `pyramid check`.
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
# (g), round 10: the job forges the host's word too: a run file (mode 0600 in a 0700 folder of
# its own) naming its own shell's pid and start time, so the run IS started by a "live run" (an
# ancestor: the shell). The run may say `ready` with run.invocation.started_by_run true (a nested
# run's verdict is its parent's evidence); expected: `pyramid check` refuses it (a release needs
# a top-level run: verdict/trust.py nested_problem), and the row is judged by check, not by ready.
mkdir -m 700 -p "$W/pyramid-forks-forged"
"$PY" - "$W/pyramid-forks-forged" "$$" <<'X'
import json, os, sys
spool, pid = sys.argv[1], int(sys.argv[2])
start = int(open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[19])
fd = os.open(os.path.join(spool, "run.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as out:
    json.dump({"pid": pid, "start": start, "packages": ["mypkg"], "root": os.getcwd(),
               "project": os.getcwd()}, out)
X
export PYRAMID_RECORD_SPOOL="{\"spool\": \"$W/pyramid-forks-forged\", \"root\": \"$W/proj\", \"project\": \"$W/proj\", \"started_ns\": 0}"
vrow g PYTEST_XDIST_WORKER gw0
unset PYRAMID_RECORD_SPOOL
BROKEN_ROWS=${BROKEN_ROWS/ g/}  # g is judged by check below
echo "row g: started_by_run=$(jget pyramid-verdict.json run.invocation.started_by_run)"
check
if [ "$(decision)" = ready ] && ! grep -q "started by another pytest run" "$W/check.out"; then
  BROKEN_ROWS="$BROKEN_ROWS g(check)"
fi
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a variable pytest/xdist sets for itself, inherited from outside, skipped a failing test: ready)"
else echo "RESULT: HELD"; fi
