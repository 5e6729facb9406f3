#!/usr/bin/env bash
# --- the preamble every attack.sh sources ---
set -u
PY=${PYRAMID_PY:-/work/main/.venv/bin/python}
PYR=${PYRAMID_BIN:-/work/main/.venv/bin/pyramid}
# the harness's own choice of tool, not a setting of the runs it makes (the plugin judges PYRAMID_*)
unset PYRAMID_PY PYRAMID_BIN
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
# a virtualenv outside the repository that sees the tool's own environment (a .pth line runs
# site.addsitedir on it): round 2 uses it for plugins and packages the project did not declare
fake_venv() {  # fake_venv DIR -> DIR/bin/python, DIR/bin/pytest; site-packages in $SP
  python3 -m venv --without-pip "$1" >/dev/null
  SP=$(echo "$1"/lib/python3*/site-packages)
  local base; base=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$base')" > "$SP/zz_tool_env.pth"
  printf '#!%s\nimport sys, pytest\nsys.exit(pytest.console_main())\n' "$1/bin/python" > "$1/bin/pytest"; chmod +x "$1/bin/pytest"
}
# round 6: one project, several rows; each row replaces tests/integration/test_row.py (the body on
# stdin), commits it and runs pytest; prints the row's decision and first problem; BROKEN_ROWS
# gathers the rows that gave `ready` (the caller decides what ready means for its rows)
BROKEN_ROWS=""
row() {  # row LABEL [pytest args...] <<'X' ... X
  local label=$1; shift
  w tests/integration/test_row.py; commit "row $label"
  "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  local p; p=$("$PY" -c 'import json,sys
try: v=json.load(open("pyramid-verdict.json"))
except Exception: sys.exit()
ps=v.get("completeness") or []
print((ps[0].get("kind","")+": "+ps[0].get("message","")[:150]) if ps else "-")' 2>/dev/null)
  echo "row $label: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$label.out" | cut -c1-80) | $p"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
