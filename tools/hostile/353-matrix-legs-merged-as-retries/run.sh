#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, shards + `pyramid merge` (verdict/merge.py: check_set): a CI workflow with a
# Python matrix and two shards per leg. Every job of one workflow run shares its run id
# (GitHub's `github.run_id`), and the merge job downloads every job's artifact into one
# folder (`actions/download-artifact` with `merge-multiple`, or `partials/**`). The merge's
# identity of a shard set is commit, project, tree, configuration, selection and tiers: not
# the interpreter. So the 3.12 leg's shard 1 is taken as a *retry* of the 3.11 leg's shard 1
# ("the later attempt counts"), and two legs' halves make one "whole" suite.
# Needs a second interpreter with the plugin: PY312 (default /tmp/h13a-py312/bin/python, made
# by `python3.12 -m venv` + `pip install <worktree> pytest-xdist`); SKIPPED without it.
# The project's bug shows on Python < 3.12 only (a version-dependent branch).
# Rows: (z) control: the 3.11 leg's two partials: blocked; (a) all four partials (3.11 leg
# ran first): ready?; (b) shard 1 of the 3.12 leg with shard 2 of the 3.11 leg (no
# duplicate: two interpreters make one suite); (c) the merged verdict's python field in (a).
# Expected: (a), (b) refused or incomplete (partials of other interpreters are not one run, and
# a failed leg is no earlier try of a passing one).
PY312=${PY312:-/tmp/h13a-py312/bin/python}
[ -x "$PY312" ] || { echo "RESULT: SKIPPED (no second interpreter at $PY312)"; exit 0; }
base_project
printf 'pyramid-verdict*\n.pyramid/\npyramid-partial*\nparts*/\n' >> .gitignore
w mypkg/core.py <<'X'
import sys


def add(a, b):
    if sys.version_info < (3, 12):
        return a + b + (a == b)  # the bug, on the older interpreters only
    return a + b
X
commit init
export PYRAMID_RUN_ID=gh-4242
leg() { local py=$1 name=$2  # each job checks the commit out afresh (its own clone)
  for i in 1 2; do
    rm -rf "$W/job-$name-$i"; git clone -q "$W/proj" "$W/job-$name-$i"
    (cd "$W/job-$name-$i" && "$py" -m pytest -q -p no:cacheprovider --pyramid-shard=$i/2 > "$W/$name-shard$i.out" 2>&1
     echo "leg $name shard $i/2: exit=$? | $(tail -1 "$W/$name-shard$i.out" | cut -c1-60)")
    mkdir -p "parts/$name"; mv "$W/job-$name-$i/pyramid-partial-$i-of-2.json" "parts/$name/"
  done; }
leg "$PY" py311
leg "$PY312" py312
r=""
m() { local label=$1; shift; rm -rf "$W/m-$label"; mkdir -p "$W/m-$label"; cp -r "$@" "$W/m-$label/"
  "$PYR" merge "$W/m-$label" -o "$W/v-$label.json" > "$W/merge-$label.out" 2>&1; local e=$?
  local d; d=$(decision "$W/v-$label.json")
  echo "row $label: merge exit=$e decision=$d python=$(jget "$W/v-$label.json" run.python) | $(grep -m1 -E "merged|refused|error" "$W/merge-$label.out" | cut -c1-140)"
  [ "$d" = ready ] && r="$r $label"; }
m z parts/py311
m a parts/py311 parts/py312
mkdir -p "$W/mix/a" "$W/mix/b"; cp parts/py312/pyramid-partial-1-of-2.json "$W/mix/a/"; cp parts/py311/pyramid-partial-2-of-2.json "$W/mix/b/"
m b "$W/mix/a" "$W/mix/b"
show "$W/v-a.json" | head -8
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: partials of two interpreters' legs merged as one run, a failed leg taken as an earlier try: ready)"
else echo "RESULT: HELD"; fi
