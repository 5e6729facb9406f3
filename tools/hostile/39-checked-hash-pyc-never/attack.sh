#!/usr/bin/env bash
# --- self-contained preamble (same in every case) ---
set -u
PY=${PYRAMID_PY:-/work/main/.venv/bin/python}
PYR=${PYRAMID_BIN:-/work/main/.venv/bin/pyramid}
HERE=$(cd "$(dirname "$0")" && pwd)
W="$HERE/work"
rm -rf "$W"; mkdir -p "$W/proj"; cd "$W/proj"
unset PYTEST_ADDOPTS PYTHONPATH PYTEST_PLUGINS COVERAGE_RCFILE COVERAGE_FILE PYTEST_TIMEOUT PYTHONOPTIMIZE \
      GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE PYRAMID_RUN_ID GITHUB_RUN_ID CI_PIPELINE_ID CI_NODE_INDEX CI_NODE_TOTAL \
      PYTEST_XDIST_AUTO_NUM_WORKERS PYTEST_DISABLE_PLUGIN_AUTOLOAD GITHUB_STEP_SUMMARY GITHUB_RUN_ATTEMPT \
      CIRCLE_NODE_INDEX CIRCLE_NODE_TOTAL CIRCLE_WORKFLOW_ID BUILDKITE_PARALLEL_JOB BUILDKITE_PARALLEL_JOB_COUNT \
      BUILDKITE_BUILD_ID TEST_SHARD_INDEX TEST_TOTAL_SHARDS COVERAGE_CORE PYTHONWARNINGS PYTHONPYCACHEPREFIX 2>/dev/null
export HOME="$W/home"; mkdir -p "$HOME"   # no user-level git/pytest config leaks in
export GIT_CONFIG_NOSYSTEM=1 PYTHONDONTWRITEBYTECODE=
git init -q -b main . && git config user.email a@b && git config user.name a
w() { mkdir -p "$(dirname "$1")"; cat > "$1"; }   # w path <<'X' ... X
commit() { git add -A && git commit -qm "${1:-c}" >/dev/null; }
# baseline project: a package, unit + integration tiers
base_project() {
w .gitignore <<'X'
__pycache__/
.pytest_cache/
X
w mypkg/__init__.py </dev/null
w mypkg/core.py <<'X'
def add(a, b):
    return a + b
X
w tests/unit/test_core.py <<'X'
from mypkg.core import add

def test_add():
    assert add(1, 2) == 3
X
w tests/integration/test_int.py <<'X'
from mypkg.core import add

def test_int():
    assert add(2, 2) == 4
X
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]

[tool.pyramid]
source = ["mypkg"]
X
}
# print a summary of a verdict file
show() {
"$PY" - "${1:-pyramid-verdict.json}" <<'X'
import json, sys
try:
    v = json.load(open(sys.argv[1]))
except Exception as e:
    print("VERDICT: unreadable/missing:", e); sys.exit(0)
print("VERDICT decision:", v.get("decision"), "| dirty:", v.get("dirty"), "| commit:", (v.get("commit") or "")[:12])
for r in v.get("reasons", [])[:6]: print("   reason:", r[:200])
for c in v.get("completeness", [])[:6]: print("   problem:", c.get("kind"), "-", c.get("message", "")[:160])
for t, d in (v.get("tiers") or {}).items():
    print("   tier %-12s req=%s sel=%s status=%s coll=%s pass=%s fail=%s skip=%s err=%s" % (t, d.get("required"), d.get("selected"), d.get("status"), d.get("collected"), d.get("passed"), d.get("failed"), d.get("skipped"), d.get("errors")))
X
}
decision() { "$PY" -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("decision"))
except Exception: print("none")' "${1:-pyramid-verdict.json}"; }
jget() { "$PY" -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
print(json.dumps(v))' "$1" "$2" 2>/dev/null || echo null; }
check() { "$PYR" check "${1:-pyramid-verdict.json}" "${@:2}" >"$W/check.out" 2>&1; echo "pyramid check exit=$? : $(head -c 300 "$W/check.out" | tr '\n' ' ')"; }
# --- end preamble ---
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
