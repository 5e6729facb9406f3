#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A fixture makes a helper script executable before running it (os.chmod 0o755: the usual guard
# against a checkout that lost the bit). The script is git-ignored (a developer's local check).
# chmod changes the inode's ctime, and the recorder takes "ctime after the run started" for the
# run's own output. Variant b: Path.touch() on an ignored data file before reading it.
# Expected: not ready in both (the bytes came from before the run; the tree does not hold them).
base_project
printf "scripts/local_check.sh\ngolden/\npyramid-verdict*\n" >> .gitignore
w tests/integration/test_script.py <<'X'
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]

def test_script():
    script = ROOT / "scripts" / "local_check.sh"
    os.chmod(script, 0o755)
    assert subprocess.run([str(script)], capture_output=True, text=True).stdout.strip() == "ok"
X
commit init
mkdir -p scripts; printf '#!/bin/sh\necho ok\n' > scripts/local_check.sh
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "a: pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; a=$(decision)
w tests/integration/test_script.py <<'X'
import json
from pathlib import Path

def test_data():
    data = Path(__file__).parents[2] / "golden" / "expected.json"
    data.touch()  # "make sure it exists"
    assert json.loads(data.read_text())["answer"] == 42
X
commit b
mkdir -p golden; echo '{"answer": 42}' > golden/expected.json; sleep 1.1
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "b: pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; b=$(decision)
[ "$a" = ready ] || [ "$b" = ready ] && echo "RESULT: BROKEN (false ready: a: $a b: $b; a chmod/touch made a pre-run ignored file look like the run's output)" || echo "RESULT: HELD (a: $a, b: $b)"
