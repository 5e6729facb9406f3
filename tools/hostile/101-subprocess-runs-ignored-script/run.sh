#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# An integration test runs a script in a subprocess; the script it runs is git-ignored (a local copy
# left in the workspace) and differs from nothing the tree holds. Expected: not ready - the run executed
# code under the repository that is not in the named tree (as for an import).
base_project
echo "scripts/local_*.py" >> .gitignore
w tests/integration/test_cli.py <<'X'
import subprocess, sys
from pathlib import Path

def test_script():
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, str(root / "scripts" / "local_check.py")], capture_output=True, text=True)
    assert out.stdout.strip() == "ok"
X
commit init
mkdir -p scripts; printf 'print("ok")\n' > scripts/local_check.py
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a subprocess ran a git-ignored script)" || echo "RESULT: HELD ($(decision))"
