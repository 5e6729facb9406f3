#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# CI shards + merge. The change touches migrations (risk medium -> needs_approval). The merge step is
# given --diff-base HEAD: risk is then judged against the change itself. Expected: not ready.
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
export PYRAMID_RUN_ID=run-75
for s in 1 2; do "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$s/2 > "$W/shard$s.out" 2>&1; echo "shard $s exit=$?"; done
mkdir -p "$W/parts"; mv pyramid-partial-* "$W/parts/"
"$PYR" merge "$W/parts" -o "$W/honest.json" > "$W/merge0.out" 2>&1; echo "honest merge exit=$? decision=$(decision "$W/honest.json")"
"$PYR" merge "$W/parts" -o "$W/verdict.json" --diff-base HEAD > "$W/merge.out" 2>&1; echo "merge exit=$?"; tail -4 "$W/merge.out"
show "$W/verdict.json" | head -4
echo "risk level=$(jget "$W/verdict.json" risk.level) base=$(jget "$W/verdict.json" risk.base)"
[ "$(decision "$W/verdict.json")" = ready ] && echo "RESULT: BROKEN (false ready: pyramid merge --diff-base HEAD turned needs_approval into ready)" || echo "RESULT: HELD ($(decision "$W/verdict.json"))"
