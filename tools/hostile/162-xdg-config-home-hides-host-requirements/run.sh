#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The deploy host pins production's requirements in its deploy configuration (docs/deploy.md:
# "`requires` is a host anchor ... the checkout may only add"): the deploy user's
# ~/.config/pyramid/deploy.toml says production requires staging (row a) and one approval of a
# release manager (row b). The checkout declares staging and production, with no requirement.
# The attacker controls the deploy command's environment (a CI "run pipeline" variable):
# `XDG_CONFIG_HOME=/tmp/elsewhere pyramid deploy --env production --dry-run`.
# Expected: the host's requirements hold whatever the deploying process's environment says
# (refused: staging has not deployed it / needs approval), as they do without the variable.
base_project
host_launcher  # the host is $HOME/.config/pyramid, as the account's home
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18931

[tool.pyramid.deploy.environments.staging]
port = 18932

[tool.pyramid.deploy.environments.production]
port = 18933
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
mkdir -p "$HOME/.config/pyramid" "$W/elsewhere"
r=HELD
for row in a b; do
  if [ $row = a ]; then printf '[environments.production]\nrequires = "staging"\n' > "$HOME/.config/pyramid/deploy.toml"
  else printf '[environments.production]\nrequired_approvals = 1\napprover_roles = ["release_manager"]\n' > "$HOME/.config/pyramid/deploy.toml"; fi
  "$PYR" deploy --env production --dry-run > "$W/host.out" 2>&1; h=$?
  XDG_CONFIG_HOME="$W/elsewhere" "$PYR" deploy --env production --dry-run > "$W/attack.out" 2>&1; a=$?
  echo "  ($row) host's environment: exit=$h $(grep -m1 -i 'requires\|approv\|refused' "$W/host.out" | head -c 150)"
  echo "      XDG_CONFIG_HOME moved: exit=$a $(grep -m1 -i 'would\|dry\|requires\|approv' "$W/attack.out" | head -c 150)"
  [ $h != 0 ] && [ $a = 0 ] && r="BROKEN (the host's pinned requirements are dropped by XDG_CONFIG_HOME in the deploy's environment)"
done
[ "$h" = 0 ] && r="VACUOUS (the host row itself was not refused: the host's pins were not read)"
echo "RESULT: $r"
