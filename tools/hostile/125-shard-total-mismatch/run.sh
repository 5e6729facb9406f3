#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Shards of one run with different totals (1/2 and 2/3: a matrix edited halfway).
# Expected: the merge refuses (not one split) or is incomplete.
base_project
for i in 1 2 3 4 5; do printf 'def test_u%s():\n    assert True\n' $i > tests/unit/test_u$i.py; done
printf 'def test_bad():\n    assert False\n' > tests/unit/test_bad.py
commit init
export PYRAMID_RUN_ID=run-125
"$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=1/2 > /dev/null 2>&1
"$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=2/3 > /dev/null 2>&1
"$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=3/3 > /dev/null 2>&1
"$PYR" merge pyramid-partial-1-of-2.json pyramid-partial-2-of-3.json pyramid-partial-3-of-3.json -o "$W/v.json" > "$W/merge.out" 2>&1; echo "merge exit=$? $(head -c 200 "$W/merge.out" | tr '\n' ' ')"
d=$(decision "$W/v.json"); echo "decision=$d"
[ "$d" = ready ] && echo "RESULT: BROKEN (shards of different totals merged to ready)" || echo "RESULT: HELD ($d)"
