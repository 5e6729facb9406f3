#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test runs a tracked shell script, which runs a git-ignored Python script (a grandchild).
# Expected: not ready (code outside the named tree ran). The closed world sees only what the run's
# Python processes open or start, not what a shell child starts in turn.
base_project
echo "scripts/local_*.py" >> .gitignore
w scripts/check.sh <<'X'
#!/bin/sh
exec python3 "$(dirname "$0")/local_check.py"
X
chmod +x scripts/check.sh
w tests/integration/test_cli.py <<'X'
import subprocess
from pathlib import Path

def test_script():
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([str(root / "scripts" / "check.sh")], capture_output=True, text=True)
    assert out.stdout.strip() == "ok"
X
commit init
printf 'print("ok")\n' > scripts/local_check.py
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a tracked shell script ran a git-ignored script)" || echo "RESULT: HELD ($(decision))"
