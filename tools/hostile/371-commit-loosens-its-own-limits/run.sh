#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# docs/deploy.md: "A commit cannot vouch for itself" (trust anchors), "`requires` is a host
# anchor ... read only from the deploying checkout, a commit could drop its own requirement";
# "Requirements in that record only ever add". The limits a rollout is judged by come from the
# same checkout: "A deploy is judged by the configuration the reviewed commit ships: ...
# limits". A careless reviewed commit (a "temporary" `error_rate_limit = "100%"` to ship past a
# flaky alert) judges its own rollout by it (dproj already ships `watch = "off"`).
# (a) [control] v2 answers 500 to every user request, limits as before: rolled back;
# (b) v3 answers 500 to every user request, and the same commit sets error_rate_limit = "100%".
# Expected (b): judged by limits that do not come from the release under judgement (the
# serving release's table, or an anchors-style record that only tightens, or host pins):
# rolled back. Got: see below.
dproj 18371 > /dev/null
load_start 18371
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 (500 to users) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-3" > VERSION
sed -i 's|^\[tool.pyramid.deploy\]$|[tool.pyramid.deploy]\nerror_rate_limit = "100%"|' pyproject.toml
commit "v3: silence the error-rate alarm for now"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 (500 to users, error_rate_limit 100%) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m2 'measurement' "$W/d3.out" | cut -c1-170 | sed 's/^/      /'
echo "      the public port now answers: $(get 18371)"
load_stop
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a release failing every request judged itself by the error_rate_limit its own commit set, and was promoted)"
else echo "RESULT: HELD"; fi
