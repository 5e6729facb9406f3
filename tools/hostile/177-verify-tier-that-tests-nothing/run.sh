#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A deploy's verify tier counts only by its own verdict's target outcome (docs/deploy.md: "verified:
# every selected tier with tests ran and passed"). The run the deploy starts (verify.command: -m
# pytest --pyramid-tier=T --pyramid-target=URL --pyramid-verdict=F -q -p no:cacheprovider) is made
# here by hand and judged with the deploy's own function (verdict/decision.py: target_outcome):
# (a) the verify tier `smoke` has no tests at all (its folder is empty), (b) its tests all skip
# themselves under a target, (c) its only test deselects itself in a tracked conftest when a target
# is given (`pytest_collection_modifyitems` + `pytest_deselected`), (d) `tier = "smoke,unit"`:
# smoke empty, unit's in-process tests pass without touching the target.
# Expected: (a)-(c) unverified; (d) unverified or smoke named (the verify tier tested nothing).
base_project
printf 'pyramid-verdict*\nv-*.json\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.smoke]
paths = ["tests/smoke/**"]
X
commit init
outcome() { "$PY" -c 'import json,sys
from pytest_pyramid.verdict.decision import target_outcome
try: v=json.load(open(sys.argv[1]))
except Exception as e: print("no verdict", e); sys.exit()
o=target_outcome(v); print(o.outcome, "|", "; ".join(o.reasons)[:200])' "$1"; }
verify() {  # label tier
  "$PY" -m pytest "--pyramid-tier=$2" --pyramid-target=http://127.0.0.1:9 "--pyramid-verdict=v-$1.json" -q -p no:cacheprovider > "$W/$1.out" 2>&1
  local o; o=$(outcome "v-$1.json"); echo "  ($1) tier=$2 exit=$? : $o"
  case "$o" in verified*) BROKEN_ROWS="$BROKEN_ROWS $1";; esac
}
mkdir -p tests/smoke
verify a-empty smoke
w tests/smoke/test_s.py <<'X'
import pytest

def test_order(request):
    if request.config.getoption("--pyramid-target", default=None):
        pytest.skip("not against a deployed version")
X
commit b
verify b-skips smoke
w tests/smoke/test_s.py <<'X'
def test_order():
    assert False, "the new version takes no orders"
X
w tests/smoke/conftest.py <<'X'
def pytest_collection_modifyitems(config, items):
    if config.getoption("--pyramid-target", default=None):
        dropped = [i for i in items if "smoke" in str(i.path)]
        items[:] = [i for i in items if i not in dropped]
        config.hook.pytest_deselected(items=dropped)
X
commit c
verify c-deselects smoke
git rm -rq tests/smoke; commit d; mkdir -p tests/smoke
verify d-with-unit smoke,unit
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (verified in rows:$BROKEN_ROWS: a verify run that tested nothing of the new version)" || echo "RESULT: HELD (no row verified)"
