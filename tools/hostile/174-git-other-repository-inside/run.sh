#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project, row ...)
source "$(dirname "$0")/../_preamble.sh"
# HEAD is "the commit the verdict names" only in the repository the verdict names. A git-ignored
# repository *inside* the project (a golden-data store a developer cloned locally) is read as HEAD:
# (a) a bare `golden.git/` with `git --git-dir=golden.git show HEAD:expected.txt` (git_reads takes
# --git-dir's parent folder for the repository), (b) the same with `GIT_DIR=golden.git` in the
# child's env, (c) a nested clone `vendor/golden/` read with `git -C vendor/golden show HEAD:...`.
# Expected: not ready (the bytes are in an ignored repository's objects, in no tree the verdict names).
base_project
printf 'pyramid-verdict*\ngolden.git/\nvendor/\n' >> .gitignore
commit init
( mkdir -p "$W/src" && cd "$W/src" && git init -q -b main . && echo 42 > expected.txt && git add -A && git -c user.email=a@b -c user.name=a commit -qm g )
git clone -q --bare "$W/src" golden.git; git clone -q "$W/src" vendor/golden
row a-git-dir-option <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["git", "--git-dir=golden.git", "show", "HEAD:expected.txt"], capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
row b-git-dir-env <<'X'
import os, subprocess

def test_golden():
    env = dict(os.environ, GIT_DIR="golden.git")
    out = subprocess.run(["git", "show", "HEAD:expected.txt"], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
row c-nested-clone <<'X'
import subprocess

def test_golden():
    out = subprocess.run(["git", "-C", "vendor/golden", "show", "HEAD:expected.txt"], capture_output=True, text=True)
    assert out.stdout.strip() == "42"
X
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS: an ignored repository inside the project read as HEAD)" || echo "RESULT: HELD (no row ready)"
