#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "`requires` is a host anchor ... read only from the deploying checkout, a commit could drop its
# own requirement"; "(the row in staging's history: `succeeded` ...)"; a host pins a target "by
# what it serves, not only by its name" (port, work_dir). The host pins production's
# `requires = "staging"` and names qa and staging (no requirement for qa). The commit under test
# adds `history = <qa's history file>` to its staging table (one key; staging's port and work
# folder unchanged). The commit is deployed to qa (no requirement there), with traffic: qa's
# history has its success. (a) [control] production `--dry-run` before, (b) after.
# Expected (b): refused: where staging's evidence lies is the host's word (or staging's own
# work folder), not the commit's; qa's success is not staging's.
envproj 18341 18342 > /dev/null
printf '\n[tool.pyramid.deploy.environments.qa]\nport = 18343\n' >> pyproject.toml
printf '[environments.qa]\n\n[environments.staging]\n\n[environments.production]\nrequires = "staging"\nport = 18342\n' > "$HOME/.config/pyramid/deploy.toml"
sed -i 's|^\[tool.pyramid.deploy.environments.staging\]$|[tool.pyramid.deploy.environments.staging]\nhistory = ".pyramid/deploy/qa/history.sqlite"|' pyproject.toml
commit "qa; staging's history beside qa's"; verdict_of_head > /dev/null
"$PYR" deploy --env production --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) production first: exit=$a $(grep -m1 -i 'requires\|deploy:' "$W/a.out" | head -c 170)"
load_start 18343
"$PYR" deploy --env qa > "$W/qa.out" 2>&1; echo "  qa deploy exit=$? $(last_row .pyramid/deploy/qa/history.sqlite)"
load_stop
"$PYR" deploy --env production --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) production after qa: exit=$b $(grep -m1 -i 'environment\|refused\|deploy:' "$W/b.out" | head -c 220)"
for e in qa staging production; do "$PYR" stop --force --env $e > /dev/null 2>&1; done
cleanup "$W"/proj/.pyramid/deploy/qa "$W"/proj/.pyramid/deploy/staging "$W"/proj/.pyramid/deploy/production
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: qa's success, in a history the commit named as staging's, satisfied production's host-pinned requires = \"staging\")"
else echo "RESULT: HELD"; fi
