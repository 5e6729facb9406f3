#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project declares its own plugin in tracked addopts (`-p tests.localplugin`, allowed: the
# project's own decision). The plugin (tracked) reads git-ignored local settings at import. pytest
# imports -p plugins before it loads the entry-point plugins, so before pytest-pyramid's recorder.
# Expected: not ready (113's principle: local settings a tracked module reads at import).
base_project
echo "tests/local.json" >> .gitignore
w tests/__init__.py </dev/null
w tests/localplugin.py <<'X'
import json
from pathlib import Path

import pytest

SETTINGS = json.loads((Path(__file__).parent / "local.json").read_text())

@pytest.fixture
def answer():
    return SETTINGS["answer"]
X
w tests/integration/test_answer.py <<'X'
def test_answer(answer):
    assert answer == 42
X
cat > pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
addopts = "-p tests.localplugin"

[tool.pyramid]
source = ["mypkg"]
X
commit init
echo '{"answer": 42}' > tests/local.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a declared -p plugin read git-ignored settings at import)" || echo "RESULT: HELD ($(decision))"
