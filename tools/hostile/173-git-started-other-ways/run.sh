#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project, row ...)
source "$(dirname "$0")/../_preamble.sh"
# Case 148 (`git show golden:expected.txt`, named since stop 30) started the ways programs are
# started: (a) behind `env`, (b) after a variable assignment in a shell string, (c) `exec git` in
# `sh -c`, (d) git's own per-command program `/usr/lib/git-core/git-show`, (e) `Popen(["show-it",
# ...], executable=git)` (argv[0] is only a name), (f) `xargs git show` with the revision on stdin,
# (g) an inherited `GIT_DIR` naming the repository's .git while git runs from `tmp_path`.
# Expected: not ready in every row (the golden bytes are in no tree the verdict names).
base_project
printf 'pyramid-verdict*\n' >> .gitignore
commit init
git checkout -qb golden; echo 42 > expected.txt; commit golden; git checkout -q main
GIT=$(command -v git)
row a-env <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["env", "git", "show", "golden:expected.txt"], capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
row b-assignment <<'X'
import subprocess

def test_golden():
    out = subprocess.run("GIT_PAGER=cat git show golden:expected.txt", shell=True, capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
row c-exec <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["sh", "-c", "exec git show golden:expected.txt"], capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
row d-git-core <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["/usr/lib/git-core/git-show", "golden:expected.txt"], capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
row e-executable <<X
import subprocess

def test_golden():
    out = subprocess.run(["show-it", "show", "golden:expected.txt"], executable="$GIT", capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
row f-xargs <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["xargs", "git", "show"], input="golden:expected.txt\n", capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
row g-git-dir-inherited <<'X'
import os, subprocess
from pathlib import Path

def test_golden(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_DIR", str(Path(".git").resolve()))
    out = subprocess.run(["git", "show", "golden:expected.txt"], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS: git started another way read another ref)" || echo "RESULT: HELD (no row ready)"
