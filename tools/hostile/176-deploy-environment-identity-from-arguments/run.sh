#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Environments have their own port and work folder ("two environments may not share a port or a
# work folder"; "production: refused until staging deployed the commit healthily"). The tracked
# configuration says production requires staging. The deployer controls the deploy command's
# arguments: (a) `--env staging --port <production's port> --work-dir <production's work folder>`:
# a deploy named staging onto production's router and state; (b) `--env production --work-dir
# <fresh>`: staging's history is looked up beside a folder the deployer chose; (c) `--env
# production --history <fresh>`; each with --dry-run (the gate runs in full, nothing starts).
# Expected: (a) refused (an environment's identity - its port and work folder - is the tracked
# configuration's: another environment's target is not this one's), (b), (c) refused as without
# the argument (staging has not deployed the commit).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18951

[tool.pyramid.deploy.environments.staging]
port = 18952

[tool.pyramid.deploy.environments.production]
port = 18953
requires = "staging"
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" deploy --env production --dry-run > "$W/own.out" 2>&1; o=$?
echo "  production as configured: exit=$o $(grep -m1 -i 'requires\|staging' "$W/own.out" | head -c 160)"
"$PYR" deploy --env staging --dry-run > "$W/stg.out" 2>&1; s=$?
PROD_DIR=.pyramid/deploy/production   # <work_dir>/<name>
echo "  staging as configured: exit=$s"
"$PYR" deploy --env staging --port 18953 --work-dir "$PROD_DIR" --dry-run > "$W/a.out" 2>&1; a=$?
"$PYR" deploy --env staging --work-dir "$PROD_DIR" --dry-run > "$W/a2.out" 2>&1; a2=$?
echo "  (a2) --env staging --work-dir production's: exit=$a2 $(head -c 200 "$W/a2.out")"
echo "  (a) --env staging onto production's port and folder: exit=$a $(grep -m1 -i 'environment:\|refused\|dry' "$W/a.out" | head -c 200)"
"$PYR" deploy --env production --work-dir "$W/fresh" --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) --env production --work-dir fresh: exit=$b $(grep -m1 -i 'requires\|staging\|refused' "$W/b.out" | head -c 200)"
"$PYR" deploy --env production --history "$W/h.sqlite" --dry-run > "$W/c.out" 2>&1; c=$?
echo "  (c) --env production --history fresh: exit=$c $(grep -m1 -i 'requires\|staging\|refused' "$W/c.out" | head -c 200)"
r=""
[ $o != 0 ] && [ $a = 0 ] && r="$r (a) a deploy named staging planned onto production's port and work folder;"
[ $o != 0 ] && [ $a2 = 0 ] && r="$r (a2) a deploy named staging planned onto production's work folder;"
[ $o != 0 ] && [ $b = 0 ] && r="$r (b) a fresh --work-dir skips staging;"
[ $o != 0 ] && [ $c = 0 ] && r="$r (c) a fresh --history skips staging;"
[ -n "$r" ] && echo "RESULT: BROKEN$r" || echo "RESULT: HELD (refused: a=$a b=$b c=$c)"
