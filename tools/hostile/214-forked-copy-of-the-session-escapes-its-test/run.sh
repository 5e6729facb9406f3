#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A test forks and the child forgets `os._exit` (it `return`s): the child is a copy of the
# whole pytest session and runs every remaining test, its session end, the gates and the
# writer - in a process the run did not start as a run. The parent does not wait for it.
# The remaining test fails in the parent and passes in the child (it checks that it runs in
# the process that started the session: any state a fork does not copy would do). Which
# verdict is left at the path? Rows: (a) control: no fork (blocked); (b) the child returns
# after 1 s (it finishes after the parent); (c) the same under -n 2.
# Expected: no row `ready` (a forked copy of the session is not the run; it writes no verdict,
# or its verdict is not ready).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
frow() { local l=$1; shift; row "$l" "$@" <<X
import os, time

STARTED_IN = os.getpid()

def test_a_fork():
    if "$l" == "a":
        return
    if os.fork() == 0:
        time.sleep(1)
        return  # bug: should be os._exit(0); the child carries on with the session

def test_b_in_the_starting_process():
    assert os.getpid() != STARTED_IN, "a real failure in the run's own process"
X
  sleep 8  # the escaped child runs on after pytest returned
  echo "   ($l) verdict now: $(decision) | pid-owner note: $(jget pyramid-verdict.json run.pytest_exit)"
  [ "$(decision)" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $l"
}
frow a; frow b; frow c -n 2
B=$(echo "$BROKEN_ROWS" | tr ' ' '\n' | sort -u | tr '\n' ' ')
if echo "$B" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$(echo $B)" ]; then echo "RESULT: BROKEN (rows $B: an escaped fork of the session wrote the verdict: ready)"
else echo "RESULT: HELD"; fi
