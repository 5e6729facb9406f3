#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Flaky on arrival with the budget share (docs/gates.md: repeats stop "until its tier's repeats
# have used arrival_share of the tier's budget"; "a test the budget share could not repeat often
# enough is named in the gate's message, not failed"). The branch adds two integration tests:
# `test_a_slow` (0.4 s, sorted first) and `test_b_flaky` (fails on its 3rd call). The tracked
# share is the default 10% of a 10 s budget: the slow newcomer's repeats take it all.
# Expected (the project's rule: missing evidence is never a pass): the flaky newcomer, never
# repeated, leaves the gate unable to tell: not a `pass` (not_evaluated / fail), so not `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.integration]
budget = "10s"

[tool.pyramid.risk]
base = "main"
X
commit main
git checkout -qb feature
w tests/integration/test_new.py <<'X'
import os, pathlib, time

def test_a_slow():
    time.sleep(0.4)

def test_b_flaky():
    counter = pathlib.Path(os.environ["MARKS"]) / "n"
    number = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(number))
    assert number != 3, "the third call fails"
X
commit new-tests
export MARKS="$W/marks"; mkdir -p "$MARKS"
"$PY" -m pytest -q -p no:cacheprovider -p no:randomly > "$W/pytest.out" 2>&1; e=$?
g=$("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.flaky_on_arrival"]; print(g[0]["status"] if g else None, "|", g[0]["message"][:220] if g else "")')
echo "pytest exit=$e decision=$(decision) calls of test_b_flaky: $(cat "$MARKS/n") gate: $g"
gs=$("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.flaky_on_arrival"]; print(g[0]["status"] if g else None)')
# the principle: missing evidence is never a gate pass; the decision follows the gate's
# on_missing policy (warn by default: ready with the warning; "fail" blocks)
[ "$gs" = pass ] && echo "RESULT: BROKEN by the principle (an arriving test the share could not repeat leaves the gate passing)" || echo "RESULT: HELD (gate $gs, decision $(decision) by its on_missing policy)"
