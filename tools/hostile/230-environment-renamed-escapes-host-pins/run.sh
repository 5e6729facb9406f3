#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The host pins production's requirements (/etc/pyramid or the account's ~/.config/pyramid/
# deploy.toml: `[environments.production] requires = "staging"`, `required_approvals = 1`):
# "trust comes from the host"; "a commit may narrow them, never drop". A later commit (reviewed:
# it only "tidies names") renames the environment `production` to `prod`, same port, same
# folder. (a) `pyramid deploy --env prod --dry-run`; (b) the same with the renamed environment's
# `work_dir` left to its default (a new folder: no anchors record, so trust on first use).
# Expected: refused (staging has not deployed it / needs approval), or refused because the host
# pins environments and does not know `prod`; never a plan to deploy production's port unpinned.
base_project
host_launcher
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cp pyproject.toml "$W/base.toml"
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"

[tool.pyramid.deploy.environments.staging]
port = 18931
work_dir = ".pyramid/staging"

[tool.pyramid.deploy.environments.production]
port = 18933
work_dir = ".pyramid/production"
X
commit init
printf '[environments.production]\nrequires = "staging"\nrequired_approvals = 1\n' > "$HOME/.config/pyramid/deploy.toml"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" deploy --env production --dry-run > "$W/control.out" 2>&1; c=$?
echo "  control --env production: exit=$c $(grep -m1 -i 'requires\|approv' "$W/control.out" | head -c 150)"
B=""
for r in a b; do
  cp "$W/base.toml" pyproject.toml
  wd='work_dir = ".pyramid/production"'; [ $r = b ] && wd=""
  cat >> pyproject.toml <<X

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"

[tool.pyramid.deploy.environments.staging]
port = 18931
work_dir = ".pyramid/staging"

[tool.pyramid.deploy.environments.prod]
port = 18933
$wd
X
  commit "rename production to prod ($r)"
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$r.out" 2>&1
  "$PYR" deploy --env prod --dry-run > "$W/$r.out" 2>&1; e=$?
  echo "  ($r) --env prod: exit=$e $(grep -m1 -i 'requires\|approv\|dry run\|would\|refused' "$W/$r.out" | head -c 170)"
  [ $e = 0 ] && B="$B $r"
done
if [ $c = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: production's port is planned without the host's pinned requirements once the checkout renames it)"
else echo "RESULT: HELD"; fi
