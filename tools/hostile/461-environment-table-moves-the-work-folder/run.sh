#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: trust taken from the code being deployed; a rollback that does not happen.
# docs/deploy.md: "A commit may only tighten the limits it is judged by" (the last good release
# *here* anchors them: deploy/trust_record.py: limits_commit reads this work folder's history
# and anchors record) and "nothing runs is not nothing served" (the history's last good release
# is the way back). The trust anchors follow the service when a commit moves its work folder
# ("a commit that moves work_dir, or moves its port into a new [environments.<name>] table ...
# the index names the port: the deploy is judged under that record's anchors"). Do the limits
# and the way back follow it too? A team that grows a staging environment moves its port
# into `[tool.pyramid.deploy.environments.production]`: the work folder becomes
# .pyramid/deploy/production, whose history is empty.
# (a) [control] v2 answers 500 to users and loosens error_rate_limit to "100%": the limit is
#     kept at v1's 0.5% and v2 is rolled back;
# (b) v3: the same fault and the same loosening, in the commit that moves port 18461 into
#     [environments.production] (deployed with --env production, same port, same service).
#     While the old folder's router holds the port, the deploy cannot start (port in use): so
# (c) the team stops the old folder's service (`pyramid stop`, the restructuring's downtime)
#     and deploys v3 --env production again.
# Expected (c): judged by v1's limits (the service's last good release), v1 started again as
# its stable version (case 376) and v3 rolled back to it.
dproj 18461 > /dev/null
load_start 18461
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; sed -i 's/^steps = .*/steps = [50, 100]\nerror_rate_limit = "100%"/' pyproject.toml
commit "v2: a looser limit"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
grep -m1 '\[limits\]' "$W/d2.out" | cut -c1-150 | sed 's/^/      /'
echo "bad-3" > VERSION
sed -i '/^port = 18461$/d' pyproject.toml
printf '\n[tool.pyramid.deploy.environments.production]\nport = 18461\n' >> pyproject.toml
commit "v3: production environment"; verdict_of_head > /dev/null
"$PYR" deploy --env production > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 deploy --env production exit=$b $(last_row .pyramid/deploy/production/history.sqlite)"
grep -m4 'trust anchors\|\[limits\]\|first deployment\|nothing runs\|refused' "$W/d3.out" | cut -c1-190 | sed 's/^/      /'
# the old service stopped by the table it runs under (the previous commit's, on disk a moment)
git show HEAD~1:pyproject.toml > pyproject.toml
"$PYR" stop > "$W/stop.out" 2>&1; echo "      pyramid stop (under v2's table) exit=$?"; git checkout -q pyproject.toml
"$PYR" deploy --env production > "$W/d4.out" 2>&1; c=$?
echo "  (c) v3 deploy --env production exit=$c $(last_row .pyramid/deploy/production/history.sqlite)"
grep -m4 'trust anchors\|\[limits\]\|first deployment\|nothing runs\|refused' "$W/d4.out" | cut -c1-190 | sed 's/^/      /'
sleep 1
echo "      the public port now answers: $(get 18461)"
"$PYR" rollback --env production > "$W/r.out" 2>&1; echo "      pyramid rollback --env production exit=$?: $(tail -1 "$W/r.out" | cut -c1-150)"
echo "      the public port then answers: $(get 18461)"
load_stop
cleanup "$W"/proj/.pyramid/deploy/production
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was promoted)"
elif [ $b = 0 ] || [ $c = 0 ]; then echo "RESULT: BROKEN (row b/c: exit $b/$c: a release failing every user request was promoted under its own error_rate_limit = 100% once its commit moved the service into an environment table: the limits and the way back stayed in the old work folder)"
else echo "RESULT: HELD"; fi
