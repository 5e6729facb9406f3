#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# CI shards + pyramid merge. Shard 2 is run twice (a re-run of the job): the FIRST attempt passes, the
# SECOND (later) attempt fails (the environment broke: DEP_DOWN=1). "The later attempt counts", so the
# merged verdict must be blocked. Partials kept in one folder per attempt (as the GitHub template does).
base_project
for i in 1 2 3 4; do printf 'from mypkg.core import add\n\ndef test_u%s():\n    assert add(1, 2) == 3\n' $i > tests/unit/test_u$i.py; done
w tests/integration/test_dep.py <<'X'
import os

def test_dependency():
    assert os.environ.get("DEP_DOWN") != "1", "dependency down"
X
commit init
export PYRAMID_RUN_ID=run-42
run_shard() { # $1 shard, $2 out dir, rest env
  local s=$1 out=$2; shift 2
  env "$@" "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$s/2 > "$W/shard-$s-$(basename $out).out" 2>&1; echo "shard $s ($*) exit=$?"
  mkdir -p "$out"; mv pyramid-partial-$s-of-2.* "$out"/
}
run_shard 1 "$W/parts/s1-a1"
# which shard holds test_dependency?
S=1; grep -q test_dependency "$W/parts/s1-a1/pyramid-partial-1-of-2.json" || S=2
if [ $S = 1 ]; then rm -rf "$W/parts/s1-a1"; run_shard 1 "$W/parts/s1-a1"; fi
O=$((3-S)); run_shard $O "$W/parts/s$O-a1"
run_shard $S "$W/parts/s$S-a1" DEP_DOWN=0 GITHUB_RUN_ATTEMPT=1
sleep 1
run_shard $S "$W/parts/s$S-a2" DEP_DOWN=1 GITHUB_RUN_ATTEMPT=2
rm -rf "$W/parts/s1-a1/../s1-a1.tmp"
"$PYR" merge "$W/parts" -o "$W/verdict.json" > "$W/merge.out" 2>&1; echo "merge exit=$?"; tail -6 "$W/merge.out"
show "$W/verdict.json" | grep -v "tier \(contract\|e2e\|perf\|secu\)"
echo "retried=$(jget "$W/verdict.json" shards.retried)"
[ "$(decision "$W/verdict.json")" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
