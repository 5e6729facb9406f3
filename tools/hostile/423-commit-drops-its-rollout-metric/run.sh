#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: trust taken from the commit instead of the host; a canary judged healthy when its
# users were failed. docs/deploy.md, "A commit may only tighten the limits it is judged by"
# (hostile case 371): where a commit loosens a limit, the last deployed release's value is kept
# (deploy/arguments.py: ANCHORED_LIMITS: steps, analysis and judge limits, bake, deadlines,
# watch). The rollout's other judges are not in that list: a `[tool.pyramid.metrics.<name>]`
# table with `rollout = true` (a business figure judged at every look) and the verify tier.
# A commit that deletes the metric is judged without it: the very commit whose figure collapsed
# (a team "removes the flaky conversion probe" in the change that breaks checkout).
# The metric: a `file` source, conv-<commit>.json, written fresh by this harness for each commit
# (the figure the version earns); threshold >= 0.02.
# (a) [control] v2, conversion 0.001, the metric kept: rolled back, naming the metric;
# (b) v3, conversion 0.001, the commit deletes the metric table.
# Expected (b): judged by the metric the last release was judged by (rolled back), or refused.
dproj 18423 > /dev/null
cat >> pyproject.toml <<X

[tool.pyramid.metrics.conversion]
source = "file"
path = "$W/conv-{version}.json"
threshold = ">= 0.02"
rollout = true
X
commit "conversion is judged in every rollout"; verdict_of_head > /dev/null
fig() { "$PY" -c 'import json,sys,time; json.dump({"value": float(sys.argv[2]), "timestamp": time.time()}, open(sys.argv[1], "w"))' "$W/conv-$(git rev-parse HEAD).json" "$1"; }
fig 0.05
load_start 18423
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null; fig 0.001
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 (conversion 0.001) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
"$PY" - <<'X'
s = open("pyproject.toml").read()
i = s.index("\n[tool.pyramid.metrics.conversion]")
open("pyproject.toml", "w").write(s[:i] + "\n")
X
echo "good-3" > VERSION; commit "v3: drop the flaky conversion probe"; verdict_of_head > /dev/null; fig 0.001
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 (conversion 0.001, metric deleted) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m2 '^\[limits\]\|^\[metrics\]\|measurement' "$W/d3.out" | cut -c1-170 | sed 's/^/      /'
load_stop
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back by its metric)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: the commit deleted the rollout metric its collapse would have failed, and was promoted, judged without it)"
else echo "RESULT: HELD"; fi
