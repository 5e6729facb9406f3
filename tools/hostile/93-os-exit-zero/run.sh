#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test calls os._exit(0) (a library's "exit on fatal error" path): pytest's process ends with status 0
# in the middle of the run. Serial and -n 2. Expected: incomplete (placeholder), never ready.
base_project
w tests/integration/test_exit.py <<'X'
import os

def test_exit():
    os._exit(0)

def test_after():
    assert False
X
commit init
r=HELD
"$PY" -m pytest -q -p no:cacheprovider > "$W/s.out" 2>&1; echo "serial exit=$? $(decision)"; [ "$(decision)" = ready ] && r="BROKEN (serial)"
"$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/x.out" 2>&1; echo "-n 2 exit=$? $(decision)"; show | head -3; [ "$(decision)" = ready ] && r="BROKEN (-n 2)"
echo "RESULT: $r"
