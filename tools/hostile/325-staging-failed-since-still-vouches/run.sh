#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "`requires = "staging"` refuses a commit that staging has not deployed healthily (the row in
# staging's history: `succeeded` ..., not reverted since) within `requires_within`, naming
# staging's last attempt of it"; replays: "the commit was rolled back since the verdict was made".
# The host pins production's `requires = "staging"`. Staging deploys commit C healthily (clients,
# every window judged). Later, staging redeploys the same C (`--redeploy`, same verdict) and C
# now fails every user request (a fault outside the commit: a dependency, a data shape): staging
# rolls it back. (a) [control-positive] production `--dry-run` after the healthy staging deploy;
# (b) production `--dry-run` after staging rolled C back.
# Expected (b): refused: staging's last word on C is a rollback (and C's verdict was rolled back
# since it was made, on the way to production).
envproj 18326 18327 > /dev/null
load_start 18326
"$PYR" deploy --env staging > "$W/s1.out" 2>&1; echo "  staging deploy exit=$? $(last_row .pyramid/deploy/staging/history.sqlite)"
"$PYR" deploy --env production --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) production after a healthy staging: exit=$a $(grep -m1 -i 'environment' "$W/a.out" | head -c 180)"
touch "$W/fault"
"$PYR" deploy --env staging --redeploy > "$W/s2.out" 2>&1; echo "  staging redeploy of the same commit exit=$? $(last_row .pyramid/deploy/staging/history.sqlite)"
rm -f "$W/fault"
load_stop
"$PYR" deploy --env production --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) production after staging rolled it back: exit=$b $(grep -m1 -i 'environment\|refused\|dry run' "$W/b.out" | head -c 220)"
for e in staging production; do "$PYR" stop --force --env $e > /dev/null 2>&1; done
cleanup "$W"/proj/.pyramid/deploy/staging "$W"/proj/.pyramid/deploy/production
if [ $a != 0 ]; then echo "RESULT: VACUOUS (the control was refused: staging's healthy deploy did not count)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: production accepted a commit staging had just rolled back, on an older success)"
else echo "RESULT: HELD"; fi
