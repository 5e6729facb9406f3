#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project, row ...)
source "$(dirname "$0")/../_preamble.sh"
# Case 148's golden value on another branch, read through git *options* that name refs or objects
# instead of a revision word (docs/verdict.md: "every revision must be HEAD ... another branch, a
# tag ... make the run incomplete"): (a) `git log --all -p`, (b) `git log --branches=gold* -p`,
# (c) `git log -g -p` (HEAD's reflog still holds the golden commit), (d) `git restore
# --source=golden expected.txt`, read, then `git checkout -- expected.txt` puts the committed bytes
# back (the index, no revision), (e) `git diff --cached`-free control: `git show HEAD:expected.txt`.
# Expected: rows a-d not ready (bytes of another ref decided the test); row e ready (control).
base_project
printf 'pyramid-verdict*\n' >> .gitignore
echo 0 > expected.txt
commit init
git checkout -qb golden; echo 42 > expected.txt; commit golden; git checkout -q main
row a-log-all <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["git", "log", "--all", "-p", "--format=", "--", "expected.txt"],
                         capture_output=True, text=True).stdout
    assert "+42" in out
X
row b-log-branches-glob <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["git", "log", "--branches=gold*", "-p", "--format=", "--", "expected.txt"],
                         capture_output=True, text=True).stdout
    assert "+42" in out
X
row c-log-reflog <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["git", "log", "-g", "-p", "--format=", "--", "expected.txt"],
                         capture_output=True, text=True).stdout
    assert "+42" in out
X
row d-restore-source <<'X'
import subprocess
from pathlib import Path

def test_golden():
    subprocess.run(["git", "restore", "--source=golden", "expected.txt"], check=True)
    try:
        assert Path("expected.txt").read_text().strip() == "42"
    finally:
        subprocess.run(["git", "checkout", "--", "expected.txt"], check=True)
X
BROKEN_ABCD=$BROKEN_ROWS; BROKEN_ROWS=""
row e-control-head <<'X'
import subprocess

def test_head():
    out = subprocess.run(["git", "show", "HEAD:expected.txt"], capture_output=True, text=True).stdout
    assert out.strip() == "0"
X
echo "control row e: ${BROKEN_ROWS:+ready}"
[ -n "$BROKEN_ABCD" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ABCD: another ref's bytes through git options)" || echo "RESULT: HELD (no row ready)"
