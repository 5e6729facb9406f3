#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# 132 again, with the CI's COVERAGE_FILE pointing into the fixtures folder (or the run started from
# that folder's parent with `cd`): a run without --cov, so no coverage gate judges the variable.
# Expected: not ready (where coverage would write is not what makes a fixture a tool's state).
base_project
printf '.coverage\n.coverage.*\npyramid-verdict*\n' >> .gitignore
w tests/integration/test_fixture.py <<'X'
import json
from pathlib import Path

def test_reads_fixture():
    data = json.loads((Path(__file__).parents[1] / "fixtures" / ".coverage").read_text())
    assert data["lines"] == 42
X
commit init
mkdir -p tests/fixtures; echo '{"lines": 42}' > tests/fixtures/.coverage
COVERAGE_FILE=tests/fixtures/.coverage "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: COVERAGE_FILE made a fixture a tool's state)" || echo "RESULT: HELD ($(decision))"
