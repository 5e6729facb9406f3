#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# CI shards + merge; the merge step runs with PYRAMID_RISK_BASE=HEAD in its environment.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.risk]
base = "main"
approval_from = "medium"
X
commit init
git checkout -qb feature
w app/migrations/0002_users.py <<'X'
SQL = "ALTER TABLE users ADD COLUMN x int"
X
commit "migration"
export PYRAMID_RUN_ID=run-76
for s in 1 2; do "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$s/2 > "$W/shard$s.out" 2>&1; echo "shard $s exit=$?"; done
mkdir -p "$W/parts"; mv pyramid-partial-* "$W/parts/"
PYRAMID_RISK_BASE=HEAD "$PYR" merge "$W/parts" -o "$W/verdict.json" > "$W/merge.out" 2>&1; echo "merge exit=$?"; tail -4 "$W/merge.out"
show "$W/verdict.json" | head -4
echo "risk level=$(jget "$W/verdict.json" risk.level)"
[ "$(decision "$W/verdict.json")" = ready ] && echo "RESULT: BROKEN (false ready: PYRAMID_RISK_BASE=HEAD in the merge's environment)" || echo "RESULT: HELD ($(decision "$W/verdict.json"))"
