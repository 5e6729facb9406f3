#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test runs a git-ignored helper as a module (python -m scripts.local_check, cwd = the repository):
# no argument names the file, the child finds it through its sys.path.
# Expected: not ready (code under the repository that is not in the named tree ran).
base_project
echo "scripts/local_*.py" >> .gitignore
w scripts/__init__.py </dev/null
w tests/integration/test_cli.py <<'X'
import subprocess, sys
from pathlib import Path

def test_module():
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "scripts.local_check"], cwd=root, capture_output=True, text=True)
    assert out.stdout.strip() == "ok"
X
commit init
printf 'print("ok")\n' > scripts/local_check.py
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: python -m ran a git-ignored module)" || echo "RESULT: HELD ($(decision))"
