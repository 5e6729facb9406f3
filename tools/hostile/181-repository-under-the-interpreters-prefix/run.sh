#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The closed world leaves the interpreter's environment aside ("sys.prefix, the standard library,
# site-packages ... is not the project's code"). With Debian's or a distribution's Python,
# `sys.base_prefix` is /usr, and /usr/src/app is where Docker images commonly keep the code
# (WORKDIR /usr/src/app): the whole repository sits under the interpreter's base prefix. Here the
# same layout with this machine's interpreter: the project is made under `sys.base_prefix`/src/.
# The project reads git-ignored data (case 85) and a git-ignored module (case 05).
# Expected: not ready, naming both (as the same project elsewhere is: the control row).
base_project
printf 'golden/\nmypkg/local_settings.py\npyramid-verdict*\n' >> .gitignore
w tests/integration/test_data.py <<'X'
from pathlib import Path

def test_data():
    from mypkg import local_settings
    assert Path("golden/expected.txt").read_text().strip() == str(local_settings.ANSWER)
X
commit init
mkdir -p golden; echo 42 > golden/expected.txt; echo "ANSWER = 42" > mypkg/local_settings.py
"$PY" -m pytest -q -p no:cacheprovider > "$W/control.out" 2>&1
echo "  control ($PWD): $(decision) $(jget pyramid-verdict.json completeness.0.message | head -c 200)"
BASE=$("$PY" -c 'import sys; print(sys.base_prefix)')
APP="$BASE/src/hostile-181-app"; rm -rf "$APP"; mkdir -p "$BASE/src"; cp -a . "$APP"; cd "$APP"; rm -f pyramid-verdict.json
"$PY" -m pytest -q -p no:cacheprovider > "$W/app.out" 2>&1
d=$(decision); echo "  under the base prefix ($APP): $d $(jget pyramid-verdict.json completeness.0.message | head -c 200)"
cd "$W"; rm -rf "$APP"; rmdir "$BASE/src" 2>/dev/null
[ "$d" = ready ] && echo "RESULT: BROKEN (false ready: a repository under the interpreter's base prefix is all 'environment' to the closed world)" || echo "RESULT: HELD ($d)"
