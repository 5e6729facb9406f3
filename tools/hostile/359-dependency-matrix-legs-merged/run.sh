#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 13a, 353's other matrix: one interpreter, two dependency sets (a "lowest versions"
# leg and a "latest" leg, as this project's own CI runs). The project depends on `rateslib`;
# its 1.0 (the lowest the project allows) has the bug, 2.0 does not. Two shards per leg, one
# workflow run id, each job in its own clone, every partial downloaded into one folder.
# The merge's shard identity has no environment in it, so the latest leg's shards are taken
# as retries of the lowest leg's, whose shard failed.
# Rows: (z) the lowest leg's partials (control): blocked; (a) all four partials; (b) shard 1 of
# the latest leg with shard 2 of the lowest leg.
# Expected: (a), (b) refused or incomplete (partials of two environments are not one run).
base_project
printf 'pyramid-verdict*\n.pyramid/\npyramid-partial*\nparts*/\n' >> .gitignore
w mypkg/core.py <<'X'
import rateslib


def add(a, b):
    return rateslib.combine(a, b)
X
commit init
export PYRAMID_RUN_ID=gh-5151
for leg in lowest latest; do
  fake_venv "$W/venv-$leg"
  mkdir -p "$SP/rateslib" "$SP/rateslib-$( [ $leg = lowest ] && echo 1.0 || echo 2.0 ).dist-info"
  if [ $leg = lowest ]; then
    printf 'def combine(a, b):\n    return a + b + (a == b)  # the 1.0 bug\n' > "$SP/rateslib/__init__.py"
  else
    printf 'def combine(a, b):\n    return a + b\n' > "$SP/rateslib/__init__.py"
  fi
  printf 'Metadata-Version: 2.1\nName: rateslib\nVersion: %s\n' "$( [ $leg = lowest ] && echo 1.0 || echo 2.0 )" > "$SP"/rateslib-*.dist-info/METADATA
done
leg() { local name=$1
  for i in 1 2; do
    rm -rf "$W/job-$name-$i"; git clone -q "$W/proj" "$W/job-$name-$i"
    (cd "$W/job-$name-$i" && "$W/venv-$name/bin/python" -m pytest -q -p no:cacheprovider --pyramid-shard=$i/2 > "$W/$name-shard$i.out" 2>&1
     echo "leg $name shard $i/2: exit=$? | $(tail -1 "$W/$name-shard$i.out" | cut -c1-60)")
    mkdir -p "parts/$name"; mv "$W/job-$name-$i/pyramid-partial-$i-of-2.json" "parts/$name/"
  done; }
leg lowest
leg latest
r=""
m() { local label=$1; shift; rm -rf "$W/m-$label"; mkdir -p "$W/m-$label"; cp -r "$@" "$W/m-$label/"
  "$PYR" merge "$W/m-$label" -o "$W/v-$label.json" > "$W/merge-$label.out" 2>&1; local e=$?
  local d; d=$(decision "$W/v-$label.json")
  echo "row $label: merge exit=$e decision=$d | $(grep -m1 -E "merged|refused|error" "$W/merge-$label.out" | cut -c1-140) | $(show "$W/v-$label.json" > "$W/s-$label.out"; grep -m1 problem "$W/s-$label.out" | cut -c1-140)"
  [ "$d" = ready ] && r="$r $label"; }
m z parts/lowest
m a parts/lowest parts/latest
mkdir -p "$W/mix/a" "$W/mix/b"; cp parts/latest/pyramid-partial-1-of-2.json "$W/mix/a/"; cp parts/lowest/pyramid-partial-2-of-2.json "$W/mix/b/"
m b "$W/mix/a" "$W/mix/b"
if echo "$r" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: partials of two dependency sets merged as one run: ready)"
else echo "RESULT: HELD"; fi
