#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# 154's shebang-less tracked shell script, given to a shell that is not the first word or with an
# option before the script: (a) `bash -e scripts/check.sh`, (b) `env sh scripts/check.sh`,
# (c) `busybox sh scripts/check.sh` style wrappers: `nice sh scripts/check.sh`,
# (d) `bash --noprofile -- scripts/check.sh`.
# Expected: incomplete, naming scripts/check.sh, in every row (the file is a shell's script).
base_project
printf 'scripts/local_*.py\npyramid-verdict*\n' >> .gitignore
mkdir -p scripts; printf 'python3 "$(dirname "$0")/local_check.py"\n' > scripts/check.sh
w tests/integration/test_cli.py <<'X'
import os, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARGV = {"a": ["bash", "-e"], "b": ["env", "sh"], "c": ["nice", "sh"], "d": ["bash", "--noprofile", "--"]}

def test_script():
    os.chdir(ROOT)
    out = subprocess.run(ARGV[os.environ["HOW"]] + ["scripts/check.sh"], capture_output=True, text=True).stdout
    assert out.strip() == "ok"
X
commit init
printf 'print("ok")\n' > scripts/local_check.py
r=HELD
for how in a b c d; do
  rm -f pyramid-verdict.json
  HOW=$how "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
  echo "  ($how) pytest exit=$e decision=$(decision) $(jget pyramid-verdict.json completeness.0.message | head -c 160)"
  [ "$(decision)" = ready ] && r="BROKEN (false ready in row $how: a shell's script after an option or a wrapper is not named)"
done
echo "RESULT: $r"
