#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "`requires = "staging"` refuses a commit that staging has not deployed healthily (the row in
# staging's history: `succeeded`, so every step and the bake passed ...)"; "No version gets
# traffic on a health check alone"; a first deployment "nobody sends traffic to within those
# windows is said to be unjudged (`too little traffic to judge`) and kept". The host pins
# production's `requires = "staging"`. Staging gets no traffic at this hour (or the deploy's caller
# runs `pyramid stop --env staging` first: every deploy after a stop is a first deployment).
# (a) [control] production before staging: refused;
# (b) staging's first deployment, nobody sends it traffic; then production `--dry-run`;
# (c) staging stopped (`pyramid stop --env staging`) and deployed again, no traffic (the commit
#     here answers 500 to every user request: the fault file exists); then production `--dry-run`.
# Expected (b), (c): production refused: staging never judged the commit on any request, so it
# did not deploy it healthily (unjudged is not_evaluated, never a pass).
envproj 18324 18325 > /dev/null
"$PYR" deploy --env production --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) production first: exit=$a $(grep -m1 -i 'requires' "$W/a.out" | head -c 150)"
"$PYR" deploy --env staging > "$W/s1.out" 2>&1; echo "  staging deploy exit=$? $(last_row .pyramid/deploy/staging/history.sqlite)"
"$PYR" deploy --env production --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) production after an unjudged staging: exit=$b $(grep -m1 -i 'environment\|refused\|dry run' "$W/b.out" | head -c 200)"
touch "$W/fault"
"$PYR" stop --env staging > "$W/stop.out" 2>&1; echo "  staging stopped exit=$?"
"$PYR" deploy --env staging > "$W/s2.out" 2>&1; echo "  staging deploy again exit=$? $(last_row .pyramid/deploy/staging/history.sqlite); staging answers: $(get 18324)"
"$PYR" deploy --env production --dry-run > "$W/c.out" 2>&1; c=$?
echo "  (c) production after staging served only 500s unjudged: exit=$c $(grep -m1 -i 'environment\|refused\|dry run' "$W/c.out" | head -c 200)"
rm -f "$W/fault"
for e in staging production; do "$PYR" stop --force --env $e > /dev/null 2>&1; done
cleanup "$W"/proj/.pyramid/deploy/staging "$W"/proj/.pyramid/deploy/production
B=""; [ $b = 0 ] && B="$B b"; [ $c = 0 ] && B="$B c"
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: an unjudged staging deployment (no request) was production's proof of a healthy staging deploy)"
else echo "RESULT: HELD"; fi
