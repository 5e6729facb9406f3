#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# static.security (bandit) judges the source. A .bandit file that git ignores (a developer's local
# config, cached workspace) skips B602. Expected: blocked (the tracked config has no such skip) or
# not_evaluated naming the file; never ready.
base_project
echo ".bandit" >> .gitignore
w mypkg/run.py <<'X'
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)
X
w tests/security/test_sec.py <<'X'
def test_sec():
    assert True
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/honest.out" 2>&1; echo "honest: $(decision)"; grep -i "static.security" "$W/honest.out" | head -2
rm -rf .pyramid
printf '[bandit]\nskips: B602,B404\n' > .bandit
mkdir -p mypkg; printf '[bandit]\nskips: B602,B404\n' > mypkg/.bandit; echo "mypkg/.bandit" >> .git/info/exclude
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"
show | head -3; "$PY" -c 'import json;v=json.load(open("pyramid-verdict.json"));print([(g["id"],g["status"],g.get("actual")) for g in v["gates"] if g["id"].startswith("static")])'
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: an ignored .bandit silenced static.security)" || echo "RESULT: HELD ($(decision))"
