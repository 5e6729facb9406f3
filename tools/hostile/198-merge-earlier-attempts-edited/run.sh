#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Per-attempt records in shard partials passed to `pyramid merge`: two real shards (1/2, 2/2) of
# one run; each row copies them and gives one passed record of shard 1 `earlier_attempts`
# (with `reruns` = its failed attempts, as the check asks): (a) a failed rerun, (b) an error in
# an earlier shard try, (c) an unfinished earlier shard try, (d) two attempts: failed then
# passed (reruns 1); (e) control: no change.
# Expected: (a)-(d) the merged verdict's tests.flaky gate `fail` (a pass after a failure is
# flaky: warn level by default, so the decision may stay ready) or the partial refused; (e) pass.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\npyramid-partial*\nparts*/\n' >> .gitignore
commit init
export PYRAMID_RUN_ID=r198
for i in 1 2; do "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$i/2 > "$W/shard$i.out" 2>&1; echo "shard $i exit=$?"; done
ls pyramid-partial* 2>/dev/null | tr '\n' ' '; echo
BAD=""
mrow() {  # mrow LABEL JSON-of-earlier_attempts RERUNS
  local label=$1; rm -rf "parts-$label"; mkdir "parts-$label"; cp pyramid-partial-*.json "parts-$label/"
  "$PY" - "parts-$label" "$2" "$3" <<'X'
import json, sys, glob
d, attempts, reruns = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
p = sorted(glob.glob(d + "/pyramid-partial-1-of-2.json"))[0]
v = json.load(open(p))
def records(o):
    if isinstance(o, dict):
        if "nodeid" in o and "outcome" in o and "call_s" in o: yield o
        for x in o.values(): yield from records(x)
    elif isinstance(o, list):
        for x in o: yield from records(x)
r = next(r for r in records(v) if r["outcome"] == "passed")
if attempts is not None:
    r["earlier_attempts"] = attempts; r["reruns"] = reruns
print("   edited", r["nodeid"])
json.dump(v, open(p, "w"), indent=1)
X
  "$PYR" merge "parts-$label" -o "$W/v-$label.json" > "$W/m-$label.out" 2>&1; local e=$?
  local g; g=$("$PY" -c 'import json,sys
v=json.load(open(sys.argv[1])); gs=v.get("gates") or []
gs = gs.values() if isinstance(gs, dict) else gs
print(v.get("decision"), [ (x.get("status"), str(x.get("message",""))[:90]) for x in gs if x.get("id")=="tests.flaky"])' "$W/v-$label.json" 2>/dev/null)
  echo "  ($label) merge exit=$e | ${g:-$(head -c 200 "$W/m-$label.out")}"
  case "$g" in *"'fail'"*|"") ;; *) [ "$label" != e ] && BAD="$BAD $label";; esac
  [ "$label" = e ] && case "$g" in "ready"*) ;; *) BAD="$BAD control-e";; esac
}
mrow a '[{"outcome": "failed", "where": "rerun"}]' 1
mrow b '[{"outcome": "error", "where": "shard retry", "shard_try": 1}]' 1
mrow c '[{"outcome": "unfinished", "where": "shard retry", "shard_try": 1}]' 1
mrow d '[{"outcome": "failed", "where": "rerun"}, {"outcome": "passed", "where": "shard retry", "shard_try": 1}]' 1
mrow e null 0
if echo "$BAD" | grep -q control; then echo "RESULT: VACUOUS (the control merge was not ready)"
elif [ -n "$BAD" ]; then echo "RESULT: BROKEN (rows$BAD: an earlier failed attempt in a partial did not make the test flaky)"
else echo "RESULT: HELD"; fi
