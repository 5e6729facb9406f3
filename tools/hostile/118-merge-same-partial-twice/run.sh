#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# pyramid merge given the same partial twice (p1 p1 p2: a CI glob that matches a copy, or a typo).
# Expected: refused, or counts as if each shard counted once (unit 2, integration 1).
base_project
printf 'def test_u2():\n    assert True\n' > tests/unit/test_u2.py
commit init
export PYRAMID_RUN_ID=run-118
for s in 1 2; do "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$s/2 > "$W/shard$s.out" 2>&1; done
cp pyramid-partial-1-of-2.json "$W/copy-of-1.json"
"$PYR" merge pyramid-partial-1-of-2.json "$W/copy-of-1.json" pyramid-partial-2-of-2.json -o "$W/v.json" > "$W/merge.out" 2>&1; echo "merge exit=$? $(head -c 300 "$W/merge.out")"
d=$(decision "$W/v.json"); u=$(jget "$W/v.json" tiers.unit.passed); i=$(jget "$W/v.json" tiers.integration.passed)
echo "decision=$d unit.passed=$u integration.passed=$i"
[ "$d" = ready ] && { [ "$u" = 2 ] && [ "$i" = 1 ] || { echo "RESULT: BROKEN (wrong counts: a partial counted twice)"; exit; }; }
echo "RESULT: HELD ($d, unit $u, integration $i)"
