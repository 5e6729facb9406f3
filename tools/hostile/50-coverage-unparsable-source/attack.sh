#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# [tool.pyramid] source = ["mypkg"], coverage total = 90. mypkg/legacy.py (never imported by any test)
# does not even parse (Python 2 syntax left behind in a port). The promise: files under source that no
# test imported count as uncovered. Expected: blocked (or coverage not evaluated) - never ready.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 90
X
printf '.coverage\n.coverage.*\n' >> .gitignore
"$PY" - <<'X'
lines = ["def legacy(x):"] + ["    print 'step %d', x" % i for i in range(40)] + ["    return x"]
open("mypkg/legacy.py", "w").write("\n".join(lines) + "\n")
X
commit init
"$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
echo "coverage: percent=$(jget pyramid-verdict.json coverage.percent) lines_total=$(jget pyramid-verdict.json coverage.lines_total) files=$(jget pyramid-verdict.json coverage.files) warnings=$(jget pyramid-verdict.json coverage.warnings)"
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY (42-line mypkg/legacy.py not counted)" || echo "RESULT: HELD"
