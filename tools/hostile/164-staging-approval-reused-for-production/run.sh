#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Approvals per environment (docs/deploy.md "Environments"): staging and production each need one
# approval of a lead (`required_approvals = 1`); alice is a lead in the deploy table both inherit.
# Alice approves the verdict for STAGING only, to a file: `pyramid approve --env staging --key
# alice.key -o staging-approval.json`. The attacker controls the deploy's arguments and hands that
# file to production: `pyramid deploy --env production --approval staging-approval.json
# --deployer-key bot.key --dry-run`.
# Expected: an approval is for one environment's deploy: refused for production ("needs approval").
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n*.key\n' >> .gitignore
mkdir -p keys; "$PYR" keygen keys/alice >/dev/null; "$PYR" keygen keys/bot >/dev/null
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18951

[tool.pyramid.deploy.approvers]
alice = { key = "keys/alice.pub", roles = ["lead"] }

[tool.pyramid.deploy.deployers]
bot = { key = "keys/bot.pub" }

[tool.pyramid.deploy.environments.staging]
port = 18952
required_approvals = 1
approver_roles = ["lead"]

[tool.pyramid.deploy.environments.production]
port = 18953
required_approvals = 1
approver_roles = ["lead"]
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" approve --env staging --key keys/alice.key -o "$W/staging-approval.json" > "$W/approve.out" 2>&1; echo "approve --env staging: exit=$? $(head -c 200 "$W/approve.out" | tr '\n' ' ')"
"$PYR" deploy --env production --deployer-key keys/bot.key --dry-run > "$W/none.out" 2>&1; n=$?
echo "  production without an approval: exit=$n $(grep -m1 -i 'approv' "$W/none.out" | head -c 160)"
"$PYR" deploy --env production --approval "$W/staging-approval.json" --deployer-key keys/bot.key --dry-run > "$W/attack.out" 2>&1; a=$?
echo "  production with staging's approval: exit=$a $(grep -m1 -i 'approv\|dry run' "$W/attack.out" | head -c 200)"
[ $n != 0 ] && [ $a = 0 ] && echo "RESULT: BROKEN (an approval given for staging counts for production)" || echo "RESULT: HELD (none=$n attack=$a)"
