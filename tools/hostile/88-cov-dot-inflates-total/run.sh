#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# coverage.total = 80 over source mypkg; mypkg is 50% covered. A CI script measures --cov=. (the tests
# too, which are 100% covered). Expected: blocked (total judged over the declared source only).
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 80
X
w mypkg/core.py <<'X'
def add(a, b):
    return a + b


def unused(x):
    if x > 1:
        y = x * 2
        z = y + 1
        return z
    w = x - 1
    return w
X
for i in 1 2 3 4 5 6; do printf 'def test_t%s():\n    a = 1\n    b = 2\n    c = a + b\n    assert c == 3\n' $i > tests/unit/test_pad$i.py; done
commit init
"$PY" -m pytest -q -p no:cacheprovider --cov > "$W/honest.out" 2>&1; echo "honest --cov: $(decision) total=$(jget pyramid-verdict.json coverage.total)"
r=HELD
for c in "--cov=." "--cov=mypkg --cov=tests" "--cov=tests"; do
  "$PY" -m pytest -q -p no:cacheprovider $c > "$W/pytest.out" 2>&1
  echo "$c: $(decision) coverage.total gate=$("$PY" -c 'import json;v=json.load(open("pyramid-verdict.json"));print([ (g["status"],g.get("actual")) for g in v["gates"] if g["id"]=="coverage.total"])')"
  [ "$(decision)" = ready ] && r="BROKEN (false ready: $c inflated coverage.total)"
done
echo "RESULT: $r"
