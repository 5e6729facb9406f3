#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project, row ...)
source "$(dirname "$0")/../_preamble.sh"
# git_reads allows `add` and `commit` ("a commit records only bytes the run read or made") and reads
# of HEAD. A test moves HEAD itself: (a) `git add -f .` (git reads the git-ignored data itself: no
# file is named on the command line) + `git commit`, then `git show HEAD:golden/expected.txt`;
# (b) the same, and the test puts the branch back afterwards (`git update-ref`, `git read-tree`).
# Expected: not ready in every row (the value came from bytes git ignores; the verdict names the
# commit from before the test's commit).
base_project
printf 'golden/\npyramid-verdict*\n' >> .gitignore
commit init
mkdir -p golden; echo 42 > golden/expected.txt
row a-add-f-commit-show-head <<'X'
import subprocess

def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout

def test_golden():
    git("add", "-f", ".")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "data")
    assert git("show", "HEAD:golden/expected.txt").strip() == "42"
X
echo "  HEAD after row a: $(git log --oneline | head -1)"; git reset -q --soft HEAD~1 2>/dev/null; git reset -q
row b-and-put-head-back <<'X'
import subprocess

def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout

def test_golden():
    before = git("rev-parse", "HEAD").strip()
    git("add", "-f", ".")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "data")
    try:
        assert git("show", "HEAD:golden/expected.txt").strip() == "42"
    finally:
        git("update-ref", "refs/heads/main", before)
        git("read-tree", "HEAD")
X
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS: ignored bytes committed by the test and read as HEAD)" || echo "RESULT: HELD (no row ready)"
