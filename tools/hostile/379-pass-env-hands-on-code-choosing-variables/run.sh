#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# docs/deploy.md, "The deploy's own process is the root of trust": "whoever starts a deploy
# chooses its environment (a CI "run pipeline" variable)"; "Versions start with an
# allow-listed environment ... and the names the commit's tracked table passes, `pass_env =
# ["DATABASE_URL", ...]`. Nothing else of the caller's environment reaches the released code:
# no `PYTHONPATH`, `LD_PRELOAD`, `COVERAGE_PROCESS_START`". `pass_env` accepts any name
# (deploy/config.py: `_env_names`, a pattern), and deploy/isolation.py: version_environ applies
# the passed names after PATH and HOME. A careless reviewed commit passes `PYTHONPATH` (its
# README says `export PYTHONPATH=src`); the CI job that deploys has a PYTHONPATH of its own (a
# pipeline variable) holding a sitecustomize.py.
# The deploy runs through a launcher with `python -I` (as the host's launcher does), so the
# caller's PYTHONPATH does not reach the deploy itself.
# (a) [control] the table passes DATABASE_URL only: does code from the caller's PYTHONPATH run
#     in the version?
# (b) the table passes DATABASE_URL and PYTHONPATH.
# Expected (b): exit 3 naming pass_env and PYTHONPATH (a name that chooses the code a version
# runs is not the commit's to hand on), or the version starts without it.
dproj 18381 > /dev/null
mkdir -p "$W/bin"; cat > "$W/bin/pyramid" <<L
#!/bin/sh
exec "$PY" -I -c 'import sys; from pathlib import Path; from pytest_pyramid.deploy import host_pins; host_pins.HOST_ROOTS = (Path(sys.argv[1]),); from pytest_pyramid.cli import main; sys.exit(main(sys.argv[2:]))' "$HOME/.config/pyramid" "\$@"
L
chmod +x "$W/bin/pyramid"
mkdir -p "$W/ci-path"; cat > "$W/ci-path/sitecustomize.py" <<X
import os
if os.environ.get("PYRAMID_COMMIT"):
    with open("$W/ran-in-version", "a") as f:
        f.write("code from the caller's PYTHONPATH ran in version %s (pid %d)\\n" % (os.environ["PYRAMID_COMMIT"][:12], os.getpid()))
X
sed -i 's|^\[tool.pyramid.deploy\]$|[tool.pyramid.deploy]\npass_env = ["DATABASE_URL"]|' pyproject.toml
commit "pass DATABASE_URL"; verdict_of_head > /dev/null
DATABASE_URL=sqlite:///x PYTHONPATH="$W/ci-path" "$PYR" deploy > "$W/d1.out" 2>&1; a=$?
echo "  (a) pass_env DATABASE_URL: deploy exit=$a $(last_row .pyramid/deploy/history.sqlite | cut -c1-60); ran in the version: $(cat "$W/ran-in-version" 2>/dev/null | wc -l) time(s)"
ra=$(cat "$W/ran-in-version" 2>/dev/null | wc -l)
echo "good-2" > VERSION
sed -i 's|^pass_env = .*|pass_env = ["DATABASE_URL", "PYTHONPATH"]|' pyproject.toml
commit "v2: pass PYTHONPATH too (src layout)"; verdict_of_head > /dev/null
load_start 18381
DATABASE_URL=sqlite:///x PYTHONPATH="$W/ci-path" "$PYR" deploy > "$W/d2.out" 2>&1; b=$?
load_stop
echo "  (b) pass_env DATABASE_URL, PYTHONPATH: deploy exit=$b $(last_row .pyramid/deploy/history.sqlite | cut -c1-60)"
echo "      $(head -1 "$W/d2.out" | head -c 150)"
echo "      $(sort -u "$W/ran-in-version" 2>/dev/null | head -2 | tr '\n' ' ')"
cleanup
if [ "$a" != 0 ] || [ "$ra" != 0 ]; then echo "RESULT: VACUOUS (the control deploy failed, or the caller's code ran there too: exit $a, $ra)"
elif [ -s "$W/ran-in-version" ]; then echo "RESULT: BROKEN (row b: the commit's pass_env handed the caller's PYTHONPATH to the version: code from the deploy's caller ran in the release, exit $b)"
else echo "RESULT: HELD"; fi
