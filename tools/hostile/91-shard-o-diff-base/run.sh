#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Shards run with -o pyramid_diff_base=HEAD (77's hole through the shard route): the merge takes its
# default diff base from the shards. Tracked config: changed_lines = 100 against main.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.coverage]
changed_lines = 100
base = "main"
X
commit init
git checkout -qb feature
w mypkg/extra.py <<'X'
def untested(x):
    if x:
        return 1
    return 2
X
commit "untested code"
export PYRAMID_RUN_ID=run-91
for s in 1 2; do "$PY" -m pytest -q -p no:cacheprovider --cov -o pyramid_diff_base=HEAD --pyramid-shard=$s/2 > "$W/shard$s.out" 2>&1; echo "shard $s exit=$?"; done
mkdir -p "$W/parts"; mv pyramid-partial-* "$W/parts/"
"$PYR" merge "$W/parts" -o "$W/verdict.json" > "$W/merge.out" 2>&1; echo "merge exit=$?"
show "$W/verdict.json" | head -4
[ "$(decision "$W/verdict.json")" = ready ] && echo "RESULT: BROKEN (false ready: shards' -o pyramid_diff_base=HEAD through the merge)" || echo "RESULT: HELD ($(decision "$W/verdict.json"))"
