#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Case 230's fix: "a host that pins environments names every deploy target it serves"; the host's
# requirements are keyed by the environment's name, "and the name is the checkout's". The host
# pins `[environments.production] requires = "staging"`, `required_approvals = 1` (so staging is
# named, with no requirement). A later reviewed commit "tidies" the table: the two environments
# swap their `port` and `work_dir` (names kept, both still pinned/named by the host).
# (a) control, before the swap: `--env production --dry-run` (refused: staging first);
# (b) after the swap: `--env staging --dry-run` (now production's port and folder).
# Expected (b): refused (the host's production requirements hold for the port and folder it
# serves), never a plan to serve production's port without staging and an approval.
base_project
host_launcher
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cp pyproject.toml "$W/base.toml"
envs() {  # envs STAGING_PORT STAGING_DIR PRODUCTION_PORT PRODUCTION_DIR
  cp "$W/base.toml" pyproject.toml
  cat >> pyproject.toml <<X

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"

[tool.pyramid.deploy.environments.staging]
port = $1
work_dir = "$2"

[tool.pyramid.deploy.environments.production]
port = $3
work_dir = "$4"
X
}
envs 18931 .pyramid/staging 18933 .pyramid/production; commit init
printf '[environments.production]\nrequires = "staging"\nrequired_approvals = 1\n' > "$HOME/.config/pyramid/deploy.toml"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" deploy --env production --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) --env production: exit=$a $(grep -m1 -i 'requires\|approv' "$W/a.out" | head -c 150)"
envs 18933 .pyramid/production 18931 .pyramid/staging; commit "tidy: swap"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-b.out" 2>&1
"$PYR" deploy --env staging --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) after the swap, --env staging: exit=$b $(grep -m1 -i 'refused\|dry run' "$W/b.out" | head -c 170)"
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: production's port and folder planned as staging, without the host's staging-first and approval)"
else echo "RESULT: HELD"; fi
