#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test reads its data in a multiprocessing pool (fork start method, Linux's default): the worker
# process opens the git-ignored file, not the test's process.
# Expected: not ready (a file of the run's processes, forked children included, is not the tree's).
base_project
echo "golden/" >> .gitignore
w tests/integration/test_pool.py <<'X'
import json, multiprocessing
from pathlib import Path

DATA = Path(__file__).parents[2] / "golden" / "expected.json"

def load(_):
    return json.loads(DATA.read_text())["result"]

def test_pool():
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(load, [0]) == [5]
X
commit init
mkdir -p golden; echo '{"result": 5}' > golden/expected.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a forked child read a git-ignored data file)" || echo "RESULT: HELD ($(decision))"
