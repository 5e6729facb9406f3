#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The tracked tests/data/expected.json is a symlink to a git-ignored local file (local/expected.json).
# The tree holds the link, not the bytes the test read. Expected: not ready.
base_project
echo "local/" >> .gitignore
mkdir -p tests/data local; ln -s ../../local/expected.json tests/data/expected.json
w tests/integration/test_data.py <<'X'
import json
from pathlib import Path

def test_from_data():
    assert json.loads((Path(__file__).parents[1] / "data" / "expected.json").read_text()) == {"result": 5}
X
commit init
echo '{"result": 5}' > local/expected.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a tracked symlink to a git-ignored data file)" || echo "RESULT: HELD ($(decision))"
