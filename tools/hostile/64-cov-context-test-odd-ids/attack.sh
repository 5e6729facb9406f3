#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Per-tier coverage with --cov-context=test must give the same figures as the default tier switching
# (coverage.md: "Same figures"). Node ids containing '|' and ' ' (parametrize ids) and a unit-only code path.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.unit]
coverage = 10

[tool.pyramid.tiers.integration]
coverage = 10
X
printf '.coverage\n.coverage.*\n' >> .gitignore
w mypkg/extra.py <<'X'
def only_unit(x):
    a = x + 1
    b = a * 2
    c = b - 3
    return c

def only_int(x):
    return x
X
w tests/unit/test_odd.py <<'X'
import pytest
from mypkg.extra import only_unit

@pytest.mark.parametrize("v", [1, 2], ids=["a|b", "x|run"])
def test_odd(v):
    assert only_unit(v) is not None
X
w tests/integration/test_int.py <<'X'
from mypkg.extra import only_int
from mypkg.core import add

def test_int():
    assert only_int(add(2, 2)) == 4
X
commit init
"$PY" -m pytest -q -p no:cacheprovider --cov > "$W/a.out" 2>&1; cp pyramid-verdict.json "$W/switch.json"
"$PY" -m pytest -q -p no:cacheprovider --cov --cov-context=test > "$W/b.out" 2>&1; cp pyramid-verdict.json "$W/ctx.json"
"$PY" - "$W/switch.json" "$W/ctx.json" <<'X'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
diff = []
for t in ("unit", "integration"):
    ca, cb = a["tiers"][t].get("coverage") or {}, b["tiers"][t].get("coverage") or {}
    print(t, "switch:", ca.get("percent"), ca.get("lines_covered"), "/", ca.get("lines_total"), " context=test:", cb.get("percent"), cb.get("lines_covered"), "/", cb.get("lines_total"))
    if ca.get("percent") != cb.get("percent"): diff.append("tiers.%s.coverage.percent switch=%s context=test=%s" % (t, ca.get("percent"), cb.get("percent")))
print("total", a.get("coverage", {}).get("percent"), b.get("coverage", {}).get("percent"), "decisions", a["decision"], b["decision"])
print("RESULT: WRONG-FIELD " + "; ".join(diff) if diff else "RESULT: HELD")
X
