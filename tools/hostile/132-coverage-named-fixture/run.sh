#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A project that tests its own coverage tooling keeps a data fixture named `.coverage` under
# tests/fixtures/; the usual .gitignore line `.coverage` ignores it everywhere, so a clean clone lacks
# it. The audit hook's allow-list skips any file named `.coverage*` anywhere ("judged by the coverage
# gates"), but the coverage gates judge only the run's own data file.
# Expected: not ready (a git-ignored file under the repository decided an outcome).
base_project
printf '.coverage\n.coverage.*\n' >> .gitignore
w tests/integration/test_fixture.py <<'X'
import json
from pathlib import Path

def test_reads_fixture():
    data = json.loads((Path(__file__).parents[1] / "fixtures" / ".coverage").read_text())
    assert data["lines"] == 42
X
commit init
mkdir -p tests/fixtures; echo '{"lines": 42}' > tests/fixtures/.coverage
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a git-ignored fixture named .coverage decided a test)" || echo "RESULT: HELD ($(decision))"
