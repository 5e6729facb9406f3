#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# No host deploy.toml: the tracked checkout's `requires = "staging"` is all there is (docs/deploy.md).
# The attacker controls the deploy command's arguments and untracked files: an untracked
# `pyramid.toml` beside the tracked pyproject.toml, the same deploy table without `requires`,
# named with `pyramid deploy --env production --config pyramid.toml --dry-run` (row a); row b: an
# uncommitted edit of the tracked pyproject.toml that deletes the `requires` line (docs/deploy.md:
# "uncommitted edits in the working tree you deploy from do not matter: they are not shipped").
# Expected: the deploy is judged by the commit's own configuration (or refuses a configuration
# the commit does not hold): refused, staging has not deployed the commit.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18941

[tool.pyramid.deploy.environments.staging]
port = 18942

[tool.pyramid.deploy.environments.production]
port = 18943
requires = "staging"
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" deploy --env production --dry-run > "$W/own.out" 2>&1; o=$?
echo "  own configuration: exit=$o $(grep -m1 'requires' "$W/own.out" | head -c 160)"
"$PY" - <<'X'
import tomllib
t = tomllib.load(open("pyproject.toml", "rb"))["tool"]["pyramid"]
t["deploy"]["environments"]["production"].pop("requires")
lines = ['source = ["mypkg"]', "[deploy]", 'command = "python3 -m http.server {port}"', "port = 18941",
         "[deploy.environments.staging]", "port = 18942", "[deploy.environments.production]", "port = 18943"]
open("pyramid.toml", "w").write("\n".join(lines) + "\n")
X
"$PYR" deploy --env production --config pyramid.toml --dry-run > "$W/attack.out" 2>&1; a=$?
echo "  --config pyramid.toml (untracked): exit=$a $(grep -m1 -i 'note\|would\|dry run\|requires\|refused' "$W/attack.out" | head -c 200)"
rm pyramid.toml
sed -i '/^requires = "staging"$/d' pyproject.toml   # an uncommitted edit of the tracked file
"$PYR" deploy --env production --dry-run > "$W/edit.out" 2>&1; b=$?
echo "  tracked pyproject.toml edited, not committed: exit=$b $(grep -m1 -i 'note\|dry run\|requires' "$W/edit.out" | head -c 200)"
r=HELD; [ $o != 0 ] && [ $a = 0 ] && r="BROKEN (an untracked --config without requires deploys production without staging)"
[ $o != 0 ] && [ $b = 0 ] && r="$r; BROKEN (an uncommitted edit of the deploy table drops requires)"
echo "RESULT: $r"
