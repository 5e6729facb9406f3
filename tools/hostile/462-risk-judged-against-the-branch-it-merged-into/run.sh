#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: approvals by risk; a bad release reaching users it should not. docs/gates.md,
# "Risk and approvals": the change is the tree "against the merge base of `base` and HEAD",
# `base = "origin/main"` in the example. docs/deploy.md: a `needs_approval` verdict deploys
# only with signed approvals; a `ready` one needs none. The deploy gate takes the verdict's
# risk as it is: it never asks what the change is against what the target SERVES. A team
# deploys from main: CI runs on main after the merge, where main (origin/main) IS HEAD, so the
# change is empty, the risk low and the verdict `ready`, whatever the merged branch held.
# (a) [control] the feature branch (a schema migration, risk factor migrations: medium) is
#     judged against main: `needs_approval`, and its deploy is refused (exit 1: no deployer key, exit 2: no approvals);
# (b) the same tree merged into main (fast-forward) and judged there, as CI on main does;
#     deployed over v1 (which served without the migration).
# Expected (b): the deploy still needs the approval the change it ships (v1 -> feature) asks
# for, or the verdict is not `ready` (a risk base at HEAD assesses no change at all).
dproj 18462 > /dev/null
sed -i 's/^steps = .*/steps = [50, 100]\nprogress_deadline = "30s"/' pyproject.toml
printf '\n[tool.pyramid.risk]\nbase = "main"\napproval_from = "medium"\n' >> pyproject.toml
commit "risk against main"; verdict_of_head > /dev/null
load_start 18462
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite) (risk $(jget pyramid-verdict.json risk.level))"
git checkout -q -b feature
w mypkg/migrations/0002_drop_users.sql <<'X'
ALTER TABLE users DROP COLUMN email;
X
echo "good-2" > VERSION; commit "drop users.email"
echo "  (a) on the branch: $(verdict_of_head) risk=$(jget pyramid-verdict.json risk.level) base=$(jget pyramid-verdict.json risk.base) approvals=$(jget pyramid-verdict.json risk.required_approvals)"
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?; echo "      deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
git checkout -q main && git merge -q --ff-only feature
echo "  (b) on main after the merge: $(verdict_of_head) risk=$(jget pyramid-verdict.json risk.level) score=$(jget pyramid-verdict.json risk.score) base=$(jget pyramid-verdict.json risk.base)"
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?; echo "      deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
echo "      the public port now answers: $(get 18462)"
load_stop; cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was deployed)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: the schema migration the branch's verdict held for approval was deployed with none once judged on main: risk against main = HEAD is no change at all, and the gate never asks the change against what the target serves)"
else echo "RESULT: HELD"; fi
