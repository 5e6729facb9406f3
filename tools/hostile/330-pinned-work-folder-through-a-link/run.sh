#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# "A host pins a target by what it serves, not only by its name: `[environments.production]` may
# also pin `port = 8443` and `work_dir = "/srv/app/production"` ... A deploy to production with
# another port or work folder, and a deploy under any other name to that port or folder, is
# refused" (case 281's fix). The host pins production's port and work folder (and
# `requires = "staging"`). The attacker holds the deploy's arguments (`--work-dir`, a free flag)
# and may create files where the deploy account may (a link under /tmp, its own checkout).
# `pyramid deploy --env staging --dry-run` with:
# (a) [control] --work-dir <production's folder>;
# (b) --work-dir <a symlink to production's folder>;
# (c) --work-dir <a symlink to the folder above it>/production;
# (d) --work-dir <production's folder, through a bind of /proc/self/root> (/proc/self/root/<path>).
# Expected: each refused, naming production's folder: a folder is what it resolves to.
base_project
host_launcher
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
mkdir -p "$W/srv/app"
cat >> pyproject.toml <<X

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"

[tool.pyramid.deploy.environments.staging]
port = 18332

[tool.pyramid.deploy.environments.production]
port = 18333
work_dir = "$W/srv/app/production"
X
commit init
printf '[environments.staging]\n\n[environments.production]\nrequires = "staging"\nport = 18333\nwork_dir = "%s"\n' "$W/srv/app/production" > "$HOME/.config/pyramid/deploy.toml"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
mkdir -p "$W/srv/app/production"
ln -s "$W/srv/app/production" "$W/link-prod"; ln -s "$W/srv/app" "$W/link-app"
B=""; A=""
for r in a b c d; do
  case $r in
    a) wd="$W/srv/app/production";; b) wd="$W/link-prod";; c) wd="$W/link-app/production";; d) wd="/proc/self/root$W/srv/app/production";;
  esac
  "$PYR" deploy --env staging --work-dir "$wd" --dry-run > "$W/$r.out" 2>&1; e=$?
  echo "  ($r) --work-dir ${wd#$W/}: exit=$e $(grep -m1 -i 'refused\|production\|dry run\|deploy:' "$W/$r.out" | head -c 170)"
  if [ $r = a ]; then [ $e = 0 ] && A=1; else [ $e = 0 ] && B="$B $r"; fi
done
if [ -n "$A" ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: production's pinned work folder, spelled through a link, was planned as staging)"
else echo "RESULT: HELD"; fi
