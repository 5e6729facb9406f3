#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project, row ...)
source "$(dirname "$0")/../_preamble.sh"
# Case 148's golden branch, brought into files first, then read as plain files outside the
# repository (files outside the repository are not the closed world's): (a) `git worktree add
# <tmp> golden`, (b) `git archive golden | tar -x -C <tmp>`, (c) `git clone . <tmp>` + checkout,
# (d) `git --work-tree=<tmp> checkout golden -- .`.
# Expected: not ready in every row (the git command that brought the bytes out is named).
base_project
printf 'pyramid-verdict*\n' >> .gitignore
commit init
git checkout -qb golden; echo 42 > expected.txt; commit golden; git checkout -q main
row a-worktree <<'X'
import subprocess

def test_golden(tmp_path):
    subprocess.run(["git", "worktree", "add", "-q", str(tmp_path / "w"), "golden"], check=True, capture_output=True)
    assert (tmp_path / "w" / "expected.txt").read_text().strip() == "42"
X
git worktree prune
row b-archive <<'X'
import subprocess

def test_golden(tmp_path):
    subprocess.run(f"git archive golden | tar -x -C {tmp_path}", shell=True, check=True)
    assert (tmp_path / "expected.txt").read_text().strip() == "42"
X
row c-clone <<'X'
import subprocess

def test_golden(tmp_path):
    subprocess.run(["git", "clone", "-q", "-b", "golden", ".", str(tmp_path / "c")], check=True)
    assert (tmp_path / "c" / "expected.txt").read_text().strip() == "42"
X
row d-work-tree-elsewhere <<'X'
import subprocess

def test_golden(tmp_path):
    subprocess.run(["git", f"--work-tree={tmp_path}", "checkout", "golden", "--", "."], check=True)
    subprocess.run(["git", "reset", "-q"], check=True)
    assert (tmp_path / "expected.txt").read_text().strip() == "42"
X
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS)" || echo "RESULT: HELD (no row ready)"
