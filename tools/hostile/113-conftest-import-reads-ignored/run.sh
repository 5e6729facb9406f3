#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked conftest reads local settings from a git-ignored JSON file at import time (before any
# test is collected) and the tests depend on them.
# Expected: not ready (the local settings are not in the named tree).
base_project
echo "local.json" >> .gitignore
w tests/conftest.py <<'X'
import json
from pathlib import Path

import pytest

SETTINGS = json.loads((Path(__file__).parents[1] / "local.json").read_text())

@pytest.fixture
def expected():
    return SETTINGS["expected"]
X
w tests/integration/test_settings.py <<'X'
def test_settings(expected):
    assert expected == 4
X
commit init
echo '{"expected": 4}' > local.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a conftest read git-ignored settings)" || echo "RESULT: HELD ($(decision))"
