#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test reads expected values from a data file git ignores (a developer's local copy left in the CI
# workspace cache). On the tree the verdict names (a clean clone) the test fails: the file is not there.
# Expected: not ready (the run read a file under the repository that is not in the named tree).
base_project
echo "golden/*.json" >> .gitignore
w tests/integration/test_data.py <<'X'
import json
from pathlib import Path

from mypkg.core import add

def test_from_data():
    case = json.loads((Path(__file__).parents[2] / "golden" / "expected.json").read_text())
    assert add(*case["args"]) == case["result"]
X
commit init
mkdir -p golden; echo '{"args": [2, 3], "result": 5}' > golden/expected.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -4; check
git clone -q . "$W/clone" && (cd "$W/clone" && "$PY" -m pytest -q -p no:cacheprovider > "$W/clone.out" 2>&1; echo "clean clone of the named commit: exit=$? $(decision)")
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a test passed only by reading a git-ignored data file)" || echo "RESULT: HELD ($(decision))"
