#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked file named `tools/setup_env.py` is in fact shell code (no `#!` line); the test runs
# `sh tools/setup_env.py`, and it runs a git-ignored Python script. A second row: the same
# file with a `#!/usr/bin/env bash` line, run directly (`./tools/setup_env.py`).
# Expected: incomplete, naming tools/setup_env.py, in both rows (what matters is the program
# that runs the file, not its name).
base_project
printf 'tools/local_*.py\npyramid-verdict*\n' >> .gitignore
mkdir -p tools; printf 'python3 tools/local_check.py\n' > tools/setup_env.py
w tests/integration/test_cli.py <<'X'
import os, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

def test_script():
    os.chdir(ROOT)
    argv = ["sh", "tools/setup_env.py"] if os.environ["HOW"] == "a" else ["./tools/setup_env.py"]
    out = subprocess.run(argv, capture_output=True, text=True).stdout
    assert out.strip() == "ok"
X
commit init
printf 'print("ok")\n' > tools/local_check.py
r=HELD
for how in a b; do
  if [ $how = b ]; then printf '#!/usr/bin/env bash\npython3 tools/local_check.py\n' > tools/setup_env.py; chmod +x tools/setup_env.py; commit b; fi
  rm -f pyramid-verdict.json
  HOW=$how "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
  echo "  ($how) pytest exit=$e decision=$(decision) $(jget pyramid-verdict.json completeness.0.message | head -c 160)"
  [ "$(decision)" = ready ] && r="BROKEN (false ready in row $how: a shell script named *.py is taken for Python)"
done
echo "RESULT: $r"
