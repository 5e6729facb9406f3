#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A tracked symlink inside the repository points to a git-ignored folder (build/, generated code).
# The symlink's target is inside the repository, so it is not "a symlink that points outside".
# The code under test (mypkg/core.py -> ../build/core.py) is not part of any tree.
# Expected: not ready / flagged (code that ran is not named by the verdict).
base_project
echo "build/" >> .gitignore
mkdir -p build; printf 'def add(a, b):\n    return a - b  # BUG\n' > build/core.py
rm -f mypkg/core.py; ln -s ../build/core.py mypkg/core.py
commit init
git ls-files -s mypkg/core.py
# the generated file in the (ignored) build dir is regenerated with a fix that is in no commit
printf 'def add(a, b):\n    return a + b\n' > build/core.py
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
