#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# CI shards where only shard 1 measured coverage (--cov forgotten on shard 2's line). The merged
# coverage is then computed on half the evidence. Expected: coverage gates not_evaluated ("missing data
# is never a pass"), so not ready.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
total = 50
X
for i in 1 2 3 4; do printf 'from mypkg.core import add\n\ndef test_u%s():\n    assert add(1, %s) == 1 + %s\n' $i $i $i > tests/unit/test_u$i.py; done
commit init
export PYRAMID_RUN_ID=run-105
"$PY" -m pytest -q -p no:cacheprovider --cov --pyramid-shard=1/2 > "$W/s1.out" 2>&1; echo "shard 1 (--cov) exit=$?"
"$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=2/2 > "$W/s2.out" 2>&1; echo "shard 2 (no --cov) exit=$?"
mkdir -p "$W/parts"; mv pyramid-partial-* "$W/parts/"; ls "$W/parts"
"$PYR" merge "$W/parts" -o "$W/verdict.json" > "$W/merge.out" 2>&1; echo "merge exit=$?"
show "$W/verdict.json" | head -4
"$PY" -c 'import json,sys;v=json.load(open(sys.argv[1]));print([(g["id"],g["status"],g.get("actual"),g.get("message","")[:90]) for g in v["gates"] if g["id"].startswith("coverage")])' "$W/verdict.json"
[ "$(decision "$W/verdict.json")" = ready ] && echo "RESULT: BROKEN (false ready: coverage judged on one shard's data, the other shard unmeasured)" || echo "RESULT: HELD ($(decision "$W/verdict.json"))"
