#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Reproducible-build bytecode: __pycache__ holds CHECKED hash-based .pyc files of an older, correct
# core.py (the documented "unchecked" case is caught). The CI runs the interpreter with
# `--check-hash-based-pycs never` (set in the image's python wrapper for speed), so Python does not
# compare the hash with the (broken, committed) source. Expected: incomplete ("code that is not the tree's").
base_project
w mypkg/core.py <<'X'
def add(a, b):
    return a + b
X
"$PY" -c 'import py_compile; py_compile.compile("mypkg/core.py", doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)'
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
commit init
export W
echo "--- control (default checking):"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PY" -c 'import py_compile, shutil, os; shutil.copy("mypkg/core.py", os.environ["W"] + "/core.bak"); open("mypkg/core.py","w").write("def add(a, b):\n    return a + b\n"); py_compile.compile("mypkg/core.py", doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH); shutil.copy(os.environ["W"] + "/core.bak", "mypkg/core.py")'
git status --porcelain
"$PY" --check-hash-based-pycs never -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
