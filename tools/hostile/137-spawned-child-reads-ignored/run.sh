#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test computes in a multiprocessing pool with the "spawn" start method (the default on macOS and
# Windows, and Python 3.14's "forkserver" on Linux works alike): the child is a fresh interpreter, not
# a fork of the recording process, and it reads a git-ignored data file.
# Expected: not ready (the ignored file decided the outcome; a clean clone fails).
base_project
echo "golden/" >> .gitignore
w tests/integration/test_pool.py <<'X'
import json
import multiprocessing
from pathlib import Path

DATA = Path(__file__).parents[2] / "golden" / "expected.json"

def load(path):
    return json.loads(Path(path).read_text())["answer"]

def test_pool():
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(load, (str(DATA),)) == 42
X
commit init
mkdir -p golden; echo '{"answer": 42}' > golden/expected.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a spawned child read a git-ignored file)" || echo "RESULT: HELD ($(decision))"
