#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: stale state; a canary judged healthy when its users were failed. docs/deploy.md,
# "A commit may only tighten the limits it is judged by" (hostile case 371): "The last release
# deployed here" is "the latest deployment that succeeded, as the history says"
# (deploy/trust_record.py: limits_commit), a loosening "counts from the next rollout, once the
# commit was deployed". A deployment that succeeded and was then reverted by `pyramid rollback`
# is still that anchor: the release the team took back keeps deciding how the next one is judged,
# while the release serving (v1) is judged by stricter limits.
# v2 loosens error_rate_limit to "100%" (a careless copy of an example) and is itself healthy:
# deployed (judged by v1's 0.5%), then reverted by `pyramid rollback` (an incident): v1 serves.
# (a) [control] v3 (500 to users), with v1's table: rolled back;
# (b) v4 (500 to users), branched from v2 (its table still says "100%").
# Expected (b): judged by the serving release's limits (v1's 0.5%): rolled back.
dproj 18425 > /dev/null
load_start 18425
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
V1=$(git rev-parse HEAD)
sed -i 's|^steps = \[50, 100\]$|steps = [50, 100]\nerror_rate_limit = "100%"|' pyproject.toml
echo "good-2" > VERSION; commit "v2: limits from the example"; verdict_of_head > /dev/null
V2=$(git rev-parse HEAD)
"$PYR" deploy > "$W/d2.out" 2>&1; echo "  v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
"$PYR" rollback --by oncall > "$W/rb.out" 2>&1; echo "  pyramid rollback exit=$? $(last_row .pyramid/deploy/history.sqlite); port: $(get 18425)"
git checkout -q "$V1" -- pyproject.toml VERSION
echo "bad-3" > VERSION; commit "v3 on v1's table"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; a=$?
echo "  (a) v3 (500 to users, v1's table) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
git checkout -q "$V2" -- pyproject.toml
echo "bad-4" > VERSION; commit "v4 on v2's table"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d4.out" 2>&1; b=$?
echo "  (b) v4 (500 to users, v2's table) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m2 '^\[limits\]\|measurement' "$W/d4.out" | cut -c1-170 | sed 's/^/      /'
load_stop
echo "      the public port now answers: $(get 18425)"
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a release failing every request was promoted, judged by the limits of a release that was reverted, not the serving one's)"
else echo "RESULT: HELD"; fi
