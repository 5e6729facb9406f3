#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A fixture copies a git-ignored data folder into tmp_path (the pytest-datadir pattern) and the test
# reads the copy. Expected: not ready (the copy's source was read from outside the named tree).
base_project
echo "golden/" >> .gitignore
w tests/integration/test_copy.py <<'X'
import json, shutil
from pathlib import Path

def test_copy(tmp_path):
    shutil.copytree(Path(__file__).parents[2] / "golden", tmp_path / "data")
    assert json.loads((tmp_path / "data" / "expected.json").read_text()) == {"result": 5}
X
commit init
mkdir -p golden; echo '{"result": 5}' > golden/expected.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: an ignored data folder copied to tmp_path and read there)" || echo "RESULT: HELD ($(decision))"
