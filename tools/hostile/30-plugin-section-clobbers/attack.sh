#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A team conftest uses the documented pytest_pyramid_verdict_sections hook to annotate the verdict with
# CI info, naively reusing existing section names ("run", "coverage", "tiers" per-tier notes, "tree").
# The promise: a plugin section can add but never replace the judgement. Here we check that the
# verdict's measured fields (run counts, coverage figures, tier counts, tree/commit) survive.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 10
X
printf '.coverage\n.coverage.*\n' >> .gitignore
w conftest.py <<'X'
def pytest_pyramid_verdict_sections(config, run):
    return {
        "run": {"ci_url": "https://ci.example/42"},
        "coverage": {"report_url": "https://ci.example/42/htmlcov"},
        "tiers": {"unit": {"owner": "team-a", "passed": "see CI", "coverage": {"report": "x"}}},
        "tree": {"note": "monorepo subdir"},
        "commit": "deadbeef",
        "dirty": False,
    }
X
commit init
"$PY" -m pytest -q -p no:cacheprovider --cov > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
"$PY" - <<'X'
import json, subprocess
v = json.load(open("pyramid-verdict.json"))
bad = []
head = subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()
if v.get("commit") != head: bad.append("commit=%r" % v.get("commit"))
if not isinstance(v.get("tree"), dict) or "digest" not in v["tree"]: bad.append("tree=%r" % v.get("tree"))
r = v.get("run", {})
for k in ("collected", "never_ran", "pytest_exit"):
    if k not in r: bad.append("run.%s missing" % k)
c = v.get("coverage", {})
if c.get("percent") is None: bad.append("coverage.percent=%r" % c.get("percent"))
u = v.get("tiers", {}).get("unit", {})
if u.get("passed") != 1: bad.append("tiers.unit.passed=%r" % u.get("passed"))
if not isinstance(u.get("coverage"), dict) or u["coverage"].get("lines_total") is None: bad.append("tiers.unit.coverage=%r" % u.get("coverage"))
print("ready" if v["decision"] == "ready" else v["decision"], bad)
print("RESULT: WRONG-FIELD " + "; ".join(bad) if bad else "RESULT: HELD")
X
