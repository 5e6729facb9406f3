#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project keeps pytest's cache elsewhere (tracked `cache_dir = ".cache/pytest"`, git-ignored
# like .pytest_cache). The second run reads pytest's own records there (lastfailed, at start-up), as
# every run does. Round 3 allow-listed pytest's records by the folder name `.pytest_cache` only.
# Expected: a clean project whose tests pass is `ready` on its second run too (a wrong
# `incomplete` here is a wrong verdict: nothing but pytest's own records was read).
base_project
printf '.cache/\npyramid-verdict*\n' >> .gitignore
sed -i 's/^pythonpath = \["."\]$/pythonpath = ["."]\ncache_dir = ".cache\/pytest"/' pyproject.toml
w tests/unit/test_flip.py <<'X'
import os

def test_flip():
    assert os.environ.get("FIRST") != "1"
X
commit init
FIRST=1 "$PY" -m pytest -q > "$W/first.out" 2>&1; echo "first run (one failure, recorded in lastfailed): exit=$? $(decision)"
"$PY" -m pytest -q > "$W/pytest.out" 2>&1; echo "second run: exit=$?"; tail -1 "$W/pytest.out"
show | head -4
[ "$(decision)" = ready ] && echo "RESULT: HELD (ready)" || echo "RESULT: BROKEN (wrong verdict: $(decision) on a clean run; pytest's own cache records counted as inputs)"
