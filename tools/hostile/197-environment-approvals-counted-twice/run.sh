#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Tracked: production needs required_approvals = 2 from role lead (a `ready` verdict too);
# approvers alice (two keys, roles lead and sre) and bob (lead); deployer bot. The attacker holds
# alice's keys (or is alice) and wants production with one person's approval. Rows (dry runs):
# (a) alice signs twice, once with each of her keys; (b) alice signs as lead and as sre (refused
# already at signing: "role sre may not approve this verdict"; the deploy then names no file);
# (c) one alice approval file passed twice (--approval f --approval f);
# (d) bob deploys (--deployer-key bob.key) with alice's and bob's approvals (his own is not counted);
# (e) control: alice's and bob's approvals, bot deploys -> accepted.
# Expected: (a)-(d) refused (exit 2/other), (e) exit 0: each person counts once per requirement.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n*.key\n' >> .gitignore
mkdir -p keys; for k in alice1 alice2 bob bot; do "$PYR" keygen keys/$k >/dev/null; done
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18971

[tool.pyramid.deploy.approvers]
alice = { keys = ["keys/alice1.pub", "keys/alice2.pub"], roles = ["lead", "sre"] }
bob = { key = "keys/bob.pub", roles = ["lead"] }

[tool.pyramid.deploy.deployers]
bot = { key = "keys/bot.pub" }

[tool.pyramid.deploy.environments.production]
port = 18972
required_approvals = 2
approver_roles = ["lead"]
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
ap() { "$PYR" approve --env production --key "keys/$1.key" --role "$2" -o "$W/$3.json" > "$W/ap-$3.out" 2>&1 || echo "  approve $3 failed: $(head -c 200 "$W/ap-$3.out")"; }
ap alice1 lead a1; ap alice2 lead a2; ap alice1 sre a1sre; ap bob lead b
OK=""
dep() { local label=$1; shift; "$PYR" deploy --env production --dry-run "$@" > "$W/$label.out" 2>&1; local e=$?
  echo "  ($label) exit=$e $(grep -i 'has [0-9]\|dry run\|refused\|error' "$W/$label.out" | grep -v WARNING | head -1 | cut -c1-200)"; [ $e = 0 ] && OK="$OK $label"; }
dep a --deployer-key keys/bot.key --approval "$W/a1.json" --approval "$W/a2.json"
dep b --deployer-key keys/bot.key --approval "$W/a1.json" --approval "$W/a1sre.json"
dep c --deployer-key keys/bot.key --approval "$W/a1.json" --approval "$W/a1.json"
dep d --deployer-key keys/bob.key --approval "$W/a1.json" --approval "$W/b.json"
dep e --deployer-key keys/bot.key --approval "$W/a1.json" --approval "$W/b.json"
B=$(echo "$OK" | sed 's/ e//')
if ! echo "$OK" | grep -qw e; then echo "RESULT: VACUOUS (control row e was refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: one person's approval counted twice for production)"
else echo "RESULT: HELD"; fi
