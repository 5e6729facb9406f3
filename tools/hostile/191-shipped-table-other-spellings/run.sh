#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The reviewed commit's tracked pyproject.toml says production requires a healthy staging
# deploy. The attacker controls untracked files and the deploy's arguments and wants
# `pyramid deploy --env production --dry-run` through without staging. Each row restores the
# checkout after it. Rows: (a) pyproject.toml replaced by a symlink to an untracked copy without
# `requires`; (b) `git update-index --skip-worktree pyproject.toml` then the edit; (c) an
# untracked sub/pyramid.toml (no requires) and the deploy run from sub/; (d) the tracked
# pyproject.toml moved away and an untracked pyramid.toml (no requires) at the top;
# (e) a second worktree on a local unreviewed branch whose committed pyproject drops `requires`,
# named with --config ../wt2/pyproject.toml --commit <reviewed>; (f) --config naming the tracked
# file through a symlinked folder outside the repository.
# Expected: every row refused (exit != 0): the deploy is built from the table the commit ships.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nsub/\nloose.toml\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.deploy]
command = "python3 -m http.server {port}"
port = 18991

[tool.pyramid.deploy.environments.staging]
port = 18992

[tool.pyramid.deploy.environments.production]
port = 18993
requires = "staging"
X
commit init
REVIEWED=$(git rev-parse HEAD)
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
"$PYR" deploy --env production --dry-run > "$W/own.out" 2>&1; o=$?
echo "  as tracked: exit=$o $(grep -m1 -i 'requires\|staging' "$W/own.out" | head -c 160)"
grep -v '^requires = "staging"' pyproject.toml > loose.toml
OK=""
res() { local label=$1 e=$2; echo "  ($label) exit=$e $(grep -i 'refused\|not in commit\|ships\|requires\|dry run\|error\|another' "$W/$label.out" | grep -v WARNING | head -1 | head -c 220)"
  [ $e = 0 ] && OK="$OK $label"; }
# (a)
mv pyproject.toml pyproject.toml.keep; ln -s loose.toml pyproject.toml
"$PYR" deploy --env production --dry-run > "$W/a.out" 2>&1; res a $?
rm pyproject.toml; mv pyproject.toml.keep pyproject.toml
# (b)
git update-index --skip-worktree pyproject.toml; cp pyproject.toml "$W/keep.toml"; cp loose.toml pyproject.toml
"$PYR" deploy --env production --dry-run > "$W/b.out" 2>&1; res b $?
cp "$W/keep.toml" pyproject.toml; git update-index --no-skip-worktree pyproject.toml
# (c)
mkdir -p sub; "$PY" -c 'import re,sys; t=open("loose.toml").read(); print(t[t.index("[tool.pyramid]"):].replace("[tool.pyramid.","[").replace("[tool.pyramid]","").replace("source = [\"mypkg\"]","source = [\"../mypkg\"]"))' > sub/pyramid.toml
(cd sub && "$PYR" deploy --env production --dry-run --verdict ../pyramid-verdict.json) > "$W/c.out" 2>&1; res c $?
rm -rf sub
# (d)
mv pyproject.toml "$W/keep.toml"; "$PY" -c 't=open("loose.toml").read(); print(t[t.index("[tool.pyramid]"):].replace("[tool.pyramid.","[").replace("[tool.pyramid]",""))' > pyramid.toml
"$PYR" deploy --env production --dry-run > "$W/d.out" 2>&1; res d $?
rm pyramid.toml; mv "$W/keep.toml" pyproject.toml
# (e)
git worktree add -q -b evil "$W/wt2" >/dev/null 2>&1; cp loose.toml "$W/wt2/pyproject.toml"; (cd "$W/wt2" && git commit -qam loose)
"$PYR" deploy --env production --dry-run --config "$W/wt2/pyproject.toml" --commit "$REVIEWED" --verdict "$PWD/pyramid-verdict.json" > "$W/e.out" 2>&1; res e $?
# (f)
ln -s "$PWD" "$W/alias"
"$PYR" deploy --env production --dry-run --config "$W/alias/pyproject.toml" > "$W/f.out" 2>&1; res f $?
git status --short | head -3
if [ $o = 0 ]; then echo "RESULT: VACUOUS (the tracked production deploy itself went through)"
elif [ -n "$OK" ]; then echo "RESULT: BROKEN (rows$OK: production deployed without the staging the commit requires)"
else echo "RESULT: HELD"; fi
