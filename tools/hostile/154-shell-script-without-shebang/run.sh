#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked shell script WITHOUT a `#!` line (plenty of scripts/*.sh have none: they are meant to
# be run as `sh scripts/x.sh`) runs a git-ignored Python script. The test starts it
# (a) as `subprocess.run(["sh", "scripts/check.sh"])`, (b) as `subprocess.run("scripts/check.sh",
# shell=True)` (exec fails with ENOEXEC and the shell runs the file as its own script),
# (c) as `os.system("sh scripts/check.sh")`.
# Expected (docs/verdict.md point 7: "the script a shell is given: sh scripts/x.sh" is named):
# incomplete, naming scripts/check.sh, in every row.
base_project
printf 'scripts/local_*.py\npyramid-verdict*\n' >> .gitignore
mkdir -p scripts; printf 'python3 "$(dirname "$0")/local_check.py"\n' > scripts/check.sh; chmod +x scripts/check.sh
w tests/integration/test_cli.py <<'X'
import os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOW = os.environ["HOW"]

def test_script():
    os.chdir(ROOT)
    if HOW == "a":
        out = subprocess.run(["sh", "scripts/check.sh"], capture_output=True, text=True).stdout
    elif HOW == "b":
        out = subprocess.run("scripts/check.sh", shell=True, capture_output=True, text=True).stdout
    else:
        out = "ok\n" if os.system("sh scripts/check.sh >/dev/null") == 0 else ""
    assert out.strip() == "ok"
X
commit init
printf 'print("ok")\n' > scripts/local_check.py
r=HELD
for how in a b c; do
  rm -f pyramid-verdict.json
  HOW=$how "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
  echo "  ($how) pytest exit=$e decision=$(decision) $(jget pyramid-verdict.json completeness.0.message | head -c 220)"
  [ "$(decision)" = ready ] && r="BROKEN (false ready: a shebang-less tracked shell script ran a git-ignored script)"
done
echo "RESULT: $r"
