#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Changed-line coverage (changed_lines = 80, base = "base") is computed from `git diff`. The CI user's
# git configuration (here in $HOME/.gitconfig) changes git diff's output: diff.noprefix,
# color.ui=always, diff.external (diff.mnemonicPrefix, color.diff, diff.relative, core.quotePath were
# also tried during the session: held). Each is tried alone.
# Expected: blocked every time (the change adds uncovered lines), as with a neutral git config.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
changed_lines = 80
base = "base"
X
printf '.coverage\n.coverage.*\n' >> .gitignore
commit base; git branch base
w mypkg/extra.py <<'X'
def g(x):
    if x > 0:
        y = x * 2
        y = y + 1
        y = y - 3
        return y
    return 0
X
w tests/unit/test_extra.py <<'X'
from mypkg.extra import g

def test_g():
    assert g(0) == 0
X
commit change
echo "--- control:"; "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
R=""
while IFS= read -r kv; do
  : > "$HOME/.gitconfig"; git config --global ${kv%%=*} "${kv#*=}"
  "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest.out" 2>&1; ex=$?
  d=$(decision); g=$("$PY" -c 'import json;v=json.load(open("pyramid-verdict.json"));print([(g["status"],g.get("message","")[:70]) for g in v["gates"] if g["id"]=="coverage.changed_lines"])')
  echo "[$kv] pytest exit=$ex decision=$d $g"
  [ "$d" = ready ] && R="$R [$kv]"
done <<'X'
diff.noprefix=true
color.ui=always
diff.external=/bin/true
X
: > "$HOME/.gitconfig"
[ -n "$R" ] && echo "RESULT: FALSE-READY with$R" || echo "RESULT: HELD"
