#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A git-ignored local settings file exists before the run; a fixture appends one line to it (a
# "make sure the key is set" helper) and a test then reads it back: the file's earlier lines
# (the developer's) decide the test. The append changes the inode's ctime.
# Expected: not ready (the file's pre-run bytes are an input the tree does not hold).
base_project
echo "local.cfg" >> .gitignore
w tests/integration/test_cfg.py <<'X'
from pathlib import Path

CFG = Path(__file__).parents[2] / "local.cfg"

def test_cfg():
    with CFG.open("a") as out:
        out.write("debug=1\n")
    settings = dict(line.split("=", 1) for line in CFG.read_text().split())
    assert settings["answer"] == "42"
X
commit init
echo "answer=42" > local.cfg; sleep 1.1
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a pre-run ignored file, appended to, then read)" || echo "RESULT: HELD ($(decision))"
