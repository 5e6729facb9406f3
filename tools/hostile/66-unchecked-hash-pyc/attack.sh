#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Documented case: __pycache__ holds UNCHECKED hash-based pycs (reproducible builds, SOURCE_DATE_EPOCH)
# of a correct core.py; the committed core.py is broken. Expected (promise): incomplete.
# Also tried: the same pycs under PYTHONPYCACHEPREFIX (a cache dir outside the project).
base_project
w mypkg/core.py <<'X'
def add(a, b):
    return a + b
X
"$PY" -c 'import py_compile; py_compile.compile("mypkg/core.py", doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)'
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
commit init
R=HELD
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "[in-tree __pycache__] pytest exit=$? decision=$(decision) $(jget pyramid-verdict.json reasons.0 | head -c 160)"
[ "$(decision)" = ready ] && R="FALSE-READY (in-tree)"
export W; rm -rf mypkg/__pycache__ "$W/pyc"
PYTHONPYCACHEPREFIX="$W/pyc" "$PY" -c 'import py_compile, os, shutil
shutil.copy("mypkg/core.py", os.environ["W"] + "/core.bak")
open("mypkg/core.py", "w").write("def add(a, b):\n    return a + b\n")
py_compile.compile("mypkg/core.py", doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
shutil.copy(os.environ["W"] + "/core.bak", "mypkg/core.py")'
find "$W/pyc" -name '*.pyc' | head -2
PYTHONPYCACHEPREFIX="$W/pyc" "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest2.out" 2>&1; echo "[PYTHONPYCACHEPREFIX] pytest exit=$? decision=$(decision) $(jget pyramid-verdict.json reasons.0 | head -c 160)"
[ "$(decision)" = ready ] && { [ "$R" = HELD ] && R="FALSE-READY (PYTHONPYCACHEPREFIX)" || R="$R (PYTHONPYCACHEPREFIX)"; }
echo "RESULT: $R"
