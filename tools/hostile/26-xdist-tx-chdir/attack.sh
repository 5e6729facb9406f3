#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# CI passes xdist gateway specs: `--tx 2*popen//chdir=<dir>` (a leftover from a remote-execution
# setup). The workers chdir into ANOTHER checkout (an older, passing commit of the same project) and
# collect/run from there; the controller, in the current (broken) checkout, writes the verdict.
# Expected: the verdict must not say ready for the current commit.
base_project
commit good
git clone -q . "$W/other"          # older checkout, passing
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG (current commit)
X
commit broken
echo "--- control (plain -n 2):"; "$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PY" -m pytest -q -p no:cacheprovider --dist=load --tx "2*popen//chdir=$W/other" > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -4 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
