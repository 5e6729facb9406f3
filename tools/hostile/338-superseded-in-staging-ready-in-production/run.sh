#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# Replays: a verdict is refused when "a newer verdict for the same commit was seen by this work
# folder's gate since (a later test run, perhaps `blocked`: the older verdict is superseded)".
# The host pins production's `requires = "staging"`. Staging deploys commit C with verdict V1
# (ready, judged traffic). Then CI runs C's tests again: V2 is `blocked` (a test fails now);
# staging's gate sees V2 and refuses it. The deployer then offers production the older V1.
# (a) [control-positive] production `--dry-run` with V1 before V2 existed;
# (b) production `--dry-run` with V1 after staging's gate refused V2.
# Expected (b): refused: C's newest verdict on this host is blocked; V1 is superseded.
envproj 18344 18345 > /dev/null
w tests/unit/test_outside.py <<X
import os
def test_outside():
    assert not os.path.exists("$W/fail-now")
X
commit "a test of the outside"; verdict_of_head > /dev/null; cp pyramid-verdict.json "$W/v1.json"
load_start 18344
"$PYR" deploy --env staging > "$W/s1.out" 2>&1; echo "  staging deploy (V1) exit=$? $(last_row .pyramid/deploy/staging/history.sqlite)"
load_stop
"$PYR" deploy --env production --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) production with V1: exit=$a $(grep -m1 -i 'environment' "$W/a.out" | head -c 150)"
touch "$W/fail-now"; verdict_of_head > /dev/null; rm -f "$W/fail-now"; echo "  V2: $(decision)"
"$PYR" deploy --env staging > "$W/s2.out" 2>&1; echo "  staging deploy (V2) exit=$? $(last_row .pyramid/deploy/staging/history.sqlite)"
cp "$W/v1.json" pyramid-verdict.json
"$PYR" deploy --env production --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) production with V1 after staging saw V2: exit=$b $(grep -m1 -i 'superseded\|newer\|refused\|dry run' "$W/b.out" | head -c 200)"
for e in staging production; do "$PYR" stop --force --env $e > /dev/null 2>&1; done
cleanup "$W"/proj/.pyramid/deploy/staging "$W"/proj/.pyramid/deploy/production
if [ $a != 0 ]; then echo "RESULT: VACUOUS (the control was refused)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: production deployed on a verdict staging's gate had seen superseded by a blocked one)"
else echo "RESULT: HELD"; fi
