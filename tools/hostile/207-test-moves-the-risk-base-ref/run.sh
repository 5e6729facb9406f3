#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The risk gate diffs the tested commit against the tracked base ref ("main"). The ref is read
# when the gates run, after the tests - which can move it: a test of a git helper that updates
# a branch of the repository it runs in. The branch adds a migration (needs an approval).
# Rows: (a) control (needs_approval); (b) the test writes `.git/refs/heads/main` with HEAD's id
# (Python, no git command); (c) `git update-ref refs/heads/main HEAD`; (d) `git branch -f main
# HEAD`; (e) `git push . HEAD:main` (git's own "push to myself").
# Expected: no row `ready` (the base the change is judged against is the one the run started
# with, or a moved base is named).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.risk]
base = "main"
approval_from = "medium"
X
commit init
MAIN=$(git rev-parse main)
git checkout -qb feature
w app/migrations/0002_users.py <<'X'
SQL = "ALTER TABLE users ADD COLUMN x int"
X
commit "migration"
brow() {  # brow LABEL PYTHON-STATEMENT
  git update-ref refs/heads/main "$MAIN"
  row "$1" <<X
import subprocess
from pathlib import Path

def test_row():
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    $2
X
  echo "   ($1) risk.base=$(jget pyramid-verdict.json risk.base) level=$(jget pyramid-verdict.json risk.level)"
}
brow a 'assert head'
brow b 'Path(".git/refs/heads/main").write_text(head + "\n")'
brow c 'subprocess.run(["git", "update-ref", "refs/heads/main", head], check=True)'
brow d 'subprocess.run(["git", "branch", "-f", "main", head], check=True)'
brow e 'subprocess.run(["git", "push", "-q", ".", "HEAD:main"], check=True)'
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a test moved the risk base to HEAD: ready)"
else echo "RESULT: HELD"; fi
