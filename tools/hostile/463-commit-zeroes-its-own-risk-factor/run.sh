#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: trust taken from the code being deployed; approvals by risk. docs/deploy.md, "A
# commit may only tighten the limits it is judged by": a commit's loosened deploy limit is
# kept at the last release's value (hostile case 371). The verdict's own gates are configured
# in the same file, `[tool.pyramid.risk]` and `[tool.pyramid.approvals]`, and the deploy gate
# takes them as the deployed commit holds them ("judged under this project's configuration":
# config.digest is the deployed commit's table). So the change that adds a schema migration
# can, in the same commit, set the migrations factor's weight to 0 (or approval_from =
# "never"): its verdict is `ready`, and no approval is asked.
# (a) [control] a branch adding a migration, judged against main: `needs_approval`; deploy refused;
# (b) the same branch whose commit also sets [tool.pyramid.risk.factors.migrations] weight = 0;
# (c) ... or sets [tool.pyramid.risk] approval_from = "never".
# Expected (b), (c): the deploy still needs the approval the serving release's rules ask for
# (the risk rules anchored as the deploy limits are), or at least not a silent `ready`.
dproj 18463 > /dev/null
sed -i 's/^steps = .*/steps = [50, 100]\nprogress_deadline = "30s"/' pyproject.toml
printf '\n[tool.pyramid.risk]\nbase = "main"\napproval_from = "medium"\n' >> pyproject.toml
commit "risk against main"; verdict_of_head > /dev/null
load_start 18463
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
git checkout -q -b feature
w mypkg/migrations/0002_drop_users.sql <<'X'
ALTER TABLE users DROP COLUMN email;
X
echo "good-2" > VERSION; commit "drop users.email"
echo "  (a) $(verdict_of_head) risk=$(jget pyramid-verdict.json risk.level)"
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?; echo "      deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
printf '\n[tool.pyramid.risk.factors.migrations]\nweight = 0\n' >> pyproject.toml; commit "migrations weigh nothing"
echo "  (b) $(verdict_of_head) risk=$(jget pyramid-verdict.json risk.level)"
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?; echo "      deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
git reset -q --hard HEAD~1
sed -i 's/^approval_from = "medium"/approval_from = "never"/' pyproject.toml; echo "good-3" > VERSION; commit "no approvals"
echo "  (c) $(verdict_of_head) risk=$(jget pyramid-verdict.json risk.level) gate=$(jget pyramid-verdict.json gates.risk.approval.status 2>/dev/null)"
"$PYR" deploy > "$W/d4.out" 2>&1; c=$?; echo "      deploy exit=$c $(last_row .pyramid/deploy/history.sqlite)"
echo "      the public port now answers: $(get 18463)"
load_stop; cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was deployed)"
elif [ $b = 0 ] || [ $c = 0 ]; then echo "RESULT: BROKEN (rows b/c exit $b/$c: a commit adding a migration switched its own risk rule off and deployed without the approval the serving release's rules ask: the verdict's gates are the deployed commit's word, not anchored as the deploy limits are)"
else echo "RESULT: HELD"; fi
