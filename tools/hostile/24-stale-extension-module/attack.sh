#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A stale, git-ignored build artifact (`python setup.py build_ext --inplace` of an older version;
# *.so is in every Python .gitignore) sits next to mypkg/core.py. Python's import system prefers the
# extension module over core.py, so the committed (broken) core.py never runs.
# Expected: not ready / flagged ("code that is not the tree's"). Needs gcc + Python headers.
base_project
echo '*.so' >> .gitignore
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG (committed)
X
commit init
INC=$("$PY" -c 'import sysconfig;print(sysconfig.get_paths()["include"])')
SUF=$("$PY" -c 'import sysconfig;print(sysconfig.get_config_var("EXT_SUFFIX"))')
cat > "$W/core.c" <<'X'
#include <Python.h>
static PyObject* add(PyObject* s, PyObject* args) { PyObject *a, *b;
  if (!PyArg_ParseTuple(args, "OO", &a, &b)) return NULL; return PyNumber_Add(a, b); }
static PyMethodDef M[] = {{"add", add, METH_VARARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef D = {PyModuleDef_HEAD_INIT, "core", NULL, -1, M};
PyMODINIT_FUNC PyInit_core(void) { return PyModule_Create(&D); }
X
gcc -shared -fPIC -I"$INC" "$W/core.c" -o "mypkg/core$SUF" || { echo "RESULT: HELD (could not build the extension: no gcc)"; exit 0; }
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
