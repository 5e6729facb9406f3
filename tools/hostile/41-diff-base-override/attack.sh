#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The project gates changed-line coverage: [tool.pyramid.coverage] changed_lines = 80, base = "base".
# The change adds uncovered code (blocked on a plain `pytest --cov`). A CI script passes
# `--pyramid-diff-base=HEAD` (e.g. templated from the wrong variable): no line changed against HEAD,
# so the gate is "not evaluated, skip". Expected: a command-line option that changes how the run is judged
# -> incomplete (or the project's base is used -> blocked).
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
changed_lines = 80
base = "base"
X
printf '.coverage\n.coverage.*\n' >> .gitignore
commit base; git branch base
w mypkg/extra.py <<'X'
def g(x):
    if x > 0:
        y = x * 2
        y = y + 1
        y = y - 3
        return y
    return 0
X
w tests/unit/test_extra.py <<'X'
from mypkg.extra import g

def test_g():
    assert g(0) == 0
X
commit change
echo "--- control: pytest --cov"; "$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PY" -m pytest -q -p no:cacheprovider --cov --pyramid-diff-base=HEAD > "$W/pytest.out" 2>&1; echo "pytest exit=$?"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
"$PY" -c 'import json;v=json.load(open("pyramid-verdict.json"));print([(g["id"],g["status"],g.get("message","")[:90]) for g in v["gates"] if "changed" in g["id"]])'
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
