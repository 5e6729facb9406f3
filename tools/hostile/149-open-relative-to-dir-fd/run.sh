#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test opens its data relative to a directory descriptor (os.open(name, dir_fd=fd): the safe-path
# idiom of code that guards against symlink races). The `open` audit event carries the relative name
# only, not the directory.
# Expected: not ready (the file is git-ignored).
base_project
printf 'golden/\npyramid-verdict*\n' >> .gitignore
w tests/integration/test_fd.py <<'X'
import json
import os
from pathlib import Path

def test_data():
    folder = os.open(Path(__file__).parents[2] / "golden", os.O_RDONLY)
    try:
        fd = os.open("expected.json", os.O_RDONLY, dir_fd=folder)
        with os.fdopen(fd) as handle:
            assert json.load(handle)["answer"] == 42
    finally:
        os.close(folder)
X
commit init
mkdir -p golden; echo '{"answer": 42}' > golden/expected.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a git-ignored file opened relative to a directory descriptor)" || echo "RESULT: HELD ($(decision))"
