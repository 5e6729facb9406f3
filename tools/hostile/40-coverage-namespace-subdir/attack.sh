#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# [tool.pyramid] source = ["mypkg"], total coverage threshold 90. mypkg/plugins/ has no __init__.py
# (an implicit namespace sub-package, loaded by entry points). No test imports mypkg/plugins/heavy.py.
# The promise: files under source that no test imported count as uncovered.
# Expected: total far below 90 -> blocked.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 90
X
printf '.coverage\n.coverage.*\n' >> .gitignore
mkdir -p mypkg/plugins
"$PY" - <<'X'
lines = ["def heavy(x):"] + ["    x = x + %d" % i for i in range(40)] + ["    return x"]
open("mypkg/plugins/heavy.py", "w").write("\n".join(lines) + "\n")
X
commit init
"$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
echo "coverage: percent=$(jget pyramid-verdict.json coverage.percent) lines_total=$(jget pyramid-verdict.json coverage.lines_total) files=$(jget pyramid-verdict.json coverage.files)"
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY (mypkg/plugins/heavy.py, 42 statements never run, not counted)" || echo "RESULT: HELD"
