#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 16a, "every test ... reported a final outcome" read as pytest's word: a test whose
# assertion fails in a thread it started (a worker, a server callback) or in a finalizer
# (`__del__`) passes; pytest only warns (PytestUnhandledThreadExceptionWarning,
# PytestUnraisableExceptionWarning: pytest's own threadexception/unraisableexception plugins
# caught the AssertionError and tied it to the test). The verdict counts the test passed and
# carries no trace of pytest's finding. (A future whose exception is never looked at, row p,
# leaves pytest nothing to see: listed as a limit, not counted.)
# Rows (tests/integration/test_row.py):
# (z) control: the same assertion in the test's own thread: blocked;
# (a) AssertionError in a threading.Thread; (b) in __del__; (c) row a under -n 2;
# (p) limit: the assertion in a ThreadPoolExecutor future nobody reads.
# Expected: rows a-c not `ready` (pytest reported an unhandled exception of the test: failed,
# or the run incomplete naming it), unless the project's tracked filterwarnings ignores it.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
commit init
R() { rm -f pyramid-verdict.json; row "$@"; }
R z <<'X'
from mypkg.core import add
def test_in_thread():
    assert add(2, 2) == 5
X
R a <<'X'
import threading
from mypkg.core import add
def test_in_thread():
    def check():
        assert add(2, 2) == 5
    t = threading.Thread(target=check)
    t.start()
    t.join()
X
echo "   (a) pytest said: $(grep -h -m1 -o 'PytestUnhandledThreadExceptionWarning: Exception in thread[^)]*)' "$W/pytest-a.out")"
R b <<'X'
from mypkg.core import add
class Conn:
    def __del__(self):
        assert add(2, 2) == 5
def test_del():
    Conn()
X
R c -n 2 <<'X'
import threading
from mypkg.core import add
def test_in_thread():
    def check():
        assert add(2, 2) == 5
    t = threading.Thread(target=check)
    t.start()
    t.join()
X
check
R p <<'X'
from concurrent.futures import ThreadPoolExecutor
from mypkg.core import add
def check():
    assert add(2, 2) == 5
def test_pool():
    with ThreadPoolExecutor() as ex:
        ex.submit(check)
X
BROKEN_ROWS=$(echo "$BROKEN_ROWS" | sed 's/\<p\>//')
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$(echo $BROKEN_ROWS)" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: an assertion that failed in a thread or a finalizer, which pytest reported as an unhandled exception warning, passed: ready)"
else echo "RESULT: HELD"; fi
