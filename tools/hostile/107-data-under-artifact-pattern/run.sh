#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Untracked (not ignored) data files the tests need, placed under names the digest leaves out as run
# artifacts: tests/integration/test-results/expected.json and tests/data/pyramid-partial-1-of-2.json.
# Expected: the run is dirty (they are not the run's outputs; they existed before it) or incomplete.
base_project
w tests/integration/test_data.py <<'X'
import json
from pathlib import Path

HERE = Path(__file__).parent

def test_a():
    assert json.loads((HERE / "test-results" / "expected.json").read_text())["ok"]

def test_b():
    assert json.loads((HERE.parent / "data" / "pyramid-partial-1-of-2.json").read_text())["ok"]
X
commit init
mkdir -p tests/integration/test-results tests/data
echo '{"ok": true}' > tests/integration/test-results/expected.json; echo '{"ok": true}' > tests/data/pyramid-partial-1-of-2.json
echo "git status: $(git status --short --untracked-files=all | tr '\n' ' ')"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: BROKEN (false ready: clean verdict; the untracked data files the tests read hide under run-artifact patterns)" || echo "RESULT: HELD ($(decision) dirty=$(jget pyramid-verdict.json dirty))"
