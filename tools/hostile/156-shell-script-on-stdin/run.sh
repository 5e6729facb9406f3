#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked shell script (with a `#!/bin/sh` line) is fed to a shell on its standard input, so it
# is a file the test opens for reading, not a program it starts: (a) `subprocess.run(["sh"],
# stdin=open("scripts/check.sh"))`, (b) `subprocess.run(["bash", "-s"], input=Path(...).read_text())`,
# (c) `os.system("sh < scripts/check.sh")`. The script runs a git-ignored Python script.
# Expected: incomplete, naming scripts/check.sh (the shell runs it as its script: its children are not
# followed), in every row.
base_project
printf 'scripts/local_*.py\npyramid-verdict*\n' >> .gitignore
mkdir -p scripts; printf '#!/bin/sh\npython3 scripts/local_check.py\n' > scripts/check.sh
w tests/integration/test_cli.py <<'X'
import os, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

def test_script():
    os.chdir(ROOT)
    how = os.environ["HOW"]
    if how == "a":
        with open("scripts/check.sh") as script:
            out = subprocess.run(["sh"], stdin=script, capture_output=True, text=True).stdout
    elif how == "b":
        out = subprocess.run(["bash", "-s"], input=Path("scripts/check.sh").read_text(),
                             capture_output=True, text=True).stdout
    else:
        out = "ok" if os.system("sh < scripts/check.sh > /dev/null") == 0 else ""
    assert out.strip() == "ok"
X
commit init
printf 'print("ok")\n' > scripts/local_check.py
r=HELD
for how in a b c; do
  rm -f pyramid-verdict.json
  HOW=$how "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
  echo "  ($how) pytest exit=$e decision=$(decision) $(jget pyramid-verdict.json completeness.0.message | head -c 160)"
  [ "$(decision)" = ready ] && r="BROKEN (false ready in row $how: a script a shell reads on stdin is not named)"
done
echo "RESULT: $r"
