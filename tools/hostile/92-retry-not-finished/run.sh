#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Shard 2 ran twice: attempt 1 finished and passed, attempt 2 (the CI re-run, the later one) died before it
# finished (its "not finished" placeholder partial is all it left). "The later attempt counts": expected
# incomplete (a shard that did not finish), not the earlier attempt's pass.
base_project
for i in 1 2 3 4; do printf 'import os, time\n\ndef test_u%s():\n    if os.environ.get("HANG"):\n        time.sleep(60)\n' $i > tests/unit/test_u$i.py; done
commit init
export PYRAMID_RUN_ID=run-92
"$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=1/2 > "$W/s1.out" 2>&1; mkdir -p "$W/parts/s1"; mv pyramid-partial-1-of-2.* "$W/parts/s1/"
GITHUB_RUN_ATTEMPT=1 "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=2/2 > "$W/s2a.out" 2>&1; mkdir -p "$W/parts/s2-a1"; mv pyramid-partial-2-of-2.* "$W/parts/s2-a1/"
sleep 1
# attempt 2 is killed mid-run (HANG=1 makes its tests sleep; SIGKILL after 8 s)
HANG=1 GITHUB_RUN_ATTEMPT=2 timeout -s KILL 8 "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=2/2 > "$W/s2b.out" 2>&1; echo "attempt 2 exit=$?"
mkdir -p "$W/parts/s2-a2"; mv pyramid-partial-2-of-2.* "$W/parts/s2-a2/" 2>/dev/null; ls "$W/parts/s2-a2"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("attempt-2 partial status:", {k: d.get(k) for k in ("finished","status","attempt","run_attempt") if k in d})' "$W/parts/s2-a2/pyramid-partial-2-of-2.json"
"$PYR" merge "$W/parts" -o "$W/verdict.json" > "$W/merge.out" 2>&1; echo "merge exit=$?"; tail -3 "$W/merge.out"
show "$W/verdict.json" | head -4
[ "$(decision "$W/verdict.json")" = ready ] && echo "RESULT: BROKEN (false ready: the later, unfinished attempt was ignored)" || echo "RESULT: HELD ($(decision "$W/verdict.json"))"
