#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project does not configure reruns. A CI script adds `--reruns 3` (pytest-rerunfailures, present in
# the environment but not declared by the project). A test that fails 2 of 3 times passes on rerun.
# The promise: anything added on the command line that changes how the run is judged -> incomplete.
base_project
w tests/unit/test_flaky.py <<'X'
import os, pathlib
CNT = pathlib.Path(os.environ["FLAKY_COUNTER"])

def test_flaky():
    n = int(CNT.read_text()) if CNT.exists() else 0
    CNT.write_text(str(n + 1))
    assert n >= 2, "fails the first two attempts"
X
commit init
export FLAKY_COUNTER="$W/counter"; rm -f "$FLAKY_COUNTER"
"$PY" -m pytest -q -p no:cacheprovider --reruns 3 > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -6 "$W/pytest.out"
show; check
"$PY" -c 'import json;v=json.load(open("pyramid-verdict.json"));print([ (g["id"],g["status"],g["level"]) for g in v["gates"] if g["id"].startswith("tests.")])'
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
