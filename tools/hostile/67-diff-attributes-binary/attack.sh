#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# changed_lines = 80, base = "base" (plain run: blocked, 3/7 changed lines covered). Git attributes from
# OUTSIDE the tree (.git/info/attributes, or core.attributesFile in the user's gitconfig) mark *.py as
# `-diff` / `binary` / a `diff=` driver with textconv, so `git diff` prints no hunks for Python files.
# Expected: blocked each time (or the gate not evaluated with a failing policy) - never ready.
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
mkdir -p .git/info
while IFS= read -r attr; do
  echo "$attr" > .git/info/attributes
  git config --unset-all diff.py.textconv 2>/dev/null; git config diff.py.textconv "sh -c 'head -1 \"\$0\"'"
  "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest.out" 2>&1; ex=$?
  d=$(decision); g=$("$PY" -c 'import json;v=json.load(open("pyramid-verdict.json"));print([(g["status"],g.get("message","")[:70]) for g in v["gates"] if g["id"]=="coverage.changed_lines"])')
  echo "[.git/info/attributes: $attr] pytest exit=$ex decision=$d $g"
  [ "$d" = ready ] && R="$R [$attr]"
done <<'X'
*.py -diff
*.py binary
*.py diff=py
X
rm -f .git/info/attributes
[ -n "$R" ] && echo "RESULT: FALSE-READY with$R" || echo "RESULT: HELD"
