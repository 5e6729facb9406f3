#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project, row ...)
source "$(dirname "$0")/../_preamble.sh"
# Case 148's golden branch read without starting git: the project's own test code reads git's
# object store with the standard library (what dulwich and GitPython's object database do, in a
# dozen lines): .git/refs/heads/golden -> the commit object -> its tree -> the blob, each a
# zlib-compressed loose object. `.git` is set aside as "git's own records" by the closed world.
# docs/verdict.md lists "git through a library (pygit2, dulwich, GitPython's object database)" as
# not seen. Expected by the principle: not ready (the test's expected value is a blob of another
# ref; the code that read it is the project's own, as case 149's os.open rule names).
base_project
printf 'pyramid-verdict*\n' >> .gitignore
commit init
git checkout -qb golden; echo 42 > expected.txt; commit golden; git checkout -q main
row a-loose-objects <<'X'
import zlib
from pathlib import Path

GIT = Path(".git")

def obj(sha):
    raw = zlib.decompress((GIT / "objects" / sha[:2] / sha[2:]).read_bytes())
    return raw.split(b"\0", 1)[1]

def test_golden():
    commit = obj((GIT / "refs" / "heads" / "golden").read_text().strip())
    tree = obj(commit.split(b"\n")[0].split()[1].decode())
    while tree:
        head, tree = tree.split(b"\0", 1)
        sha, tree = tree[:20].hex(), tree[20:]
        if head.endswith(b" expected.txt"):
            assert obj(sha).strip() == b"42"
            return
    raise AssertionError("no expected.txt")
X
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready: another ref's blob read from .git by the project's own code)" || echo "RESULT: HELD (no row ready)"
