#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Large test data lives on a shared mount; each developer symlinks it into the repository and the
# symlink is git-ignored (`golden`). A test reads golden/expected.json through the link. The
# path is under the repository, its real path is not: the recorder skips it as "not the project's".
# Expected: not ready (the named tree has no golden; a clean clone fails the test).
base_project
echo "golden" >> .gitignore
w tests/integration/test_data.py <<'X'
import json
from pathlib import Path

from mypkg.core import add

def test_from_data():
    case = json.loads((Path(__file__).parents[2] / "golden" / "expected.json").read_text())
    assert add(*case["args"]) == case["result"]
X
commit init
mkdir -p "$W/shared"; echo '{"args": [2, 3], "result": 5}' > "$W/shared/expected.json"
ln -s "$W/shared" golden
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: data read through a git-ignored symlink to outside the repository)" || echo "RESULT: HELD ($(decision))"
