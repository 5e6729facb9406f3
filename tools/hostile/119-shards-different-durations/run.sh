#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Two shards of one CI run split with different durations files (a CI cache restored for one job and
# not the other): the failing test lands in neither shard.
# Expected: the merge refuses or is incomplete (a test of the suite never ran).
base_project
for i in 1 2 3 4 5 6; do printf 'def test_u%s():\n    assert True\n' $i > tests/unit/test_u$i.py; done
printf 'def test_bad():\n    assert False\n' > tests/unit/test_bad.py
commit init
export PYRAMID_RUN_ID=run-119
mkdir -p "$W/d"
r=HELD
for variant in a b c d; do
  "$PY" - "$W/d" "$variant" <<'X'
import json, sys, random
random.seed(sys.argv[2])
ids = [f"tests/unit/test_u{i}.py::test_u{i}" for i in range(1, 7)] + ["tests/unit/test_bad.py::test_bad", "tests/integration/test_int.py::test_int"]
from pytest_pyramid.run.shard import DURATIONS_FORMAT, DURATIONS_VERSION
json.dump({"format": DURATIONS_FORMAT, "version": DURATIONS_VERSION, "tests": {i: ["integration" if "integration" in i else "unit", 0.0, random.uniform(0.1, 9), 0.0] for i in ids}, "scopes": {}}, open(f"{sys.argv[1]}/dur-{sys.argv[2]}.json", "w"))
X
done
for pair in "a b" "b c" "c d" "a d"; do
  set -- $pair
  rm -f pyramid-partial-*
  "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=1/2 --pyramid-durations="$W/d/dur-$1.json" > "$W/s1.out" 2>&1
  "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=2/2 --pyramid-durations="$W/d/dur-$2.json" > "$W/s2.out" 2>&1
  ran=$(cat "$W/s1.out" "$W/s2.out" | grep -c "test_bad" )
  "$PYR" merge pyramid-partial-1-of-2.json pyramid-partial-2-of-2.json -o "$W/v.json" > "$W/merge.out" 2>&1; e=$?
  d=$(decision "$W/v.json"); echo "  durations $1/$2: merge exit=$e decision=$d $(head -c 160 "$W/merge.out" | tr '\n' ' ')"
  [ "$d" = ready ] && r="BROKEN (ready with shards split by different durations files)"
done
echo "RESULT: $r"
