#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A target run is never a release `ready`. Two shards of one CI run: shard 1 runs with
# --pyramid-target (the CI template of the verify job pasted into the test job), shard 2 without.
# Then: both shards with the target. Then: the target only in shard 2, through the ini twin in
# PYTEST_ADDOPTS (-o pyramid_target=...).
# Expected: every merge refused or not ready (target_run).
base_project
printf 'pyramid-partial-*\npyramid-verdict*\n' >> .gitignore
for i in 1 2 3 4; do printf 'def test_u%s():\n    assert True\n' $i > tests/unit/test_u$i.py; done
commit init
r=HELD
go() { # label, then per-shard extra args as "A|B"
  local label=$1 a=$2 b=$3; export PYRAMID_RUN_ID=run-140-$label
  rm -rf "$W/parts"; mkdir -p "$W/parts"
  "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=1/2 $a > "$W/s1.out" 2>&1
  PYTEST_ADDOPTS="${4:-}" "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=2/2 $b > "$W/s2.out" 2>&1
  mv pyramid-partial-*-of-2.* "$W/parts/" 2>/dev/null
  "$PYR" merge "$W/parts" -o "$W/v.json" > "$W/merge.out" 2>&1; local e=$?
  echo "  $label: merge exit=$e decision=$(decision "$W/v.json") target=$(jget "$W/v.json" decision_detail 2>/dev/null) $(head -c 160 "$W/merge.out" | tr '\n' ' ')"
  [ "$(decision "$W/v.json")" = ready ] && r="BROKEN (a target shard merged to ready: $label)"
  rm -f "$W/v.json"
}
go first-only "--pyramid-target=http://127.0.0.1:9" ""
go both "--pyramid-target=http://127.0.0.1:9" "--pyramid-target=http://127.0.0.1:9"
go addopts-ini "" "" "-o pyramid_target=http://127.0.0.1:9"
echo "RESULT: $r"
