#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# `pyramid check` refuses an unsigned verdict when the project's [tool.pyramid.deploy]
# require_signature is set ("also [tool.pyramid.deploy] require_signature": the deploy gate's own
# setting). The reviewed commit tracks require_signature = true; the verdict is `ready` and
# unsigned. The attacker controls untracked files and where the command runs:
# (a) control: `pyramid check pyramid-verdict.json` at the project's top -> refused;
# (b) from a git-ignored folder scratch/ holding its own pyramid.toml (no require_signature):
#     `cd scratch && pyramid check ../pyramid-verdict.json`;
# (c) `pyramid check --config`-less run from / with the verdict named by its full path (no
#     project at or above the folder: the defaults); (d) the same with --commit <HEAD>;
# (e) `git update-index --skip-worktree pyproject.toml`, then require_signature deleted from it.
# Expected: (b)-(e) refused as (a): the setting is the commit's, not a file the tree lacks.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nscratch/\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
require_signature = true
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
V="$PWD/pyramid-verdict.json"
"$PYR" check "$V" > "$W/a.out" 2>&1; a=$?; echo "  (a) exit=$a $(grep -m1 -i 'sign' "$W/a.out" | head -c 200)"
mkdir -p scratch; printf '[deploy]\nport = 18996\n' > scratch/pyramid.toml
(cd scratch && "$PYR" check "$V") > "$W/b.out" 2>&1; b=$?; echo "  (b) exit=$b $(grep -m1 -i 'sign\|ready\|decision' "$W/b.out" | head -c 200)"
(cd / && "$PYR" check "$V") > "$W/c.out" 2>&1; c=$?; echo "  (c) exit=$c $(grep -m1 -i 'sign\|ready\|decision\|commit\|tree' "$W/c.out" | head -c 200)"
(cd / && "$PYR" check "$V" --commit "$(git -C "$OLDPWD" rev-parse HEAD)") > "$W/d.out" 2>&1; d=$?; echo "  (d) exit=$d $(head -1 "$W/d.out" | head -c 200)"
git update-index --skip-worktree pyproject.toml; grep -v require_signature pyproject.toml > "$W/p.toml"; cp "$W/p.toml" pyproject.toml
"$PYR" check "$V" > "$W/e.out" 2>&1; e=$?; echo "  (e) exit=$e $(head -1 "$W/e.out" | head -c 200)"
OK=""; [ $d = 0 ] && OK="$OK d"; [ $e = 0 ] && OK="$OK e"; [ $b = 0 ] && OK="$OK b"; [ $c = 0 ] && OK="$OK c"
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control check accepted the unsigned verdict)"
elif [ -n "$OK" ]; then echo "RESULT: BROKEN (rows$OK: the commit's require_signature not applied: a configuration the tree does not ship, or none read, decided it)"
else echo "RESULT: HELD"; fi
