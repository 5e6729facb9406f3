#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test (of a git helper) creates a scratch git repository and os.chdir()s into it without restoring
# the working directory (a common test bug). Later git calls that rely on the cwd would describe the
# scratch repository. Expected: commit/tree/dirty describe the project, and the verdict sits in the project.
base_project
w tests/integration/test_git_helper.py <<'X'
import os, subprocess

def test_scratch_repo(tmp_path):
    os.chdir(tmp_path)
    subprocess.run(["git", "init", "-q", "."], check=True)
    subprocess.run(["git", "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    assert (tmp_path / ".git").exists()
X
commit init
HEADC=$(git rev-parse HEAD); TREE=$(git rev-parse HEAD^{tree})
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
[ -f pyramid-verdict.json ] || { echo "no verdict in the project"; echo "RESULT: WRONG-FIELD verdict written elsewhere"; exit 0; }
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"
BAD=""
[ "$(jget pyramid-verdict.json commit)" = "\"$HEADC\"" ] || BAD="$BAD commit=$(jget pyramid-verdict.json commit)"
[ "$(jget pyramid-verdict.json tree.digest)" = "\"$TREE\"" ] || BAD="$BAD tree.digest=$(jget pyramid-verdict.json tree.digest)"
[ "$(jget pyramid-verdict.json dirty)" = false ] || BAD="$BAD dirty=$(jget pyramid-verdict.json dirty)"
[ -n "$BAD" ] && echo "RESULT: WRONG-FIELD$BAD (expected $HEADC / $TREE / false)" || echo "RESULT: HELD"
