#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A CI script sets PYRAMID_RISK_BASE=HEAD: the risk of the change is then judged against itself (nothing
# changed), so a change touching migrations needs no approval. The project's tracked config says
# base = "main". Expected: not ready (needs_approval, or incomplete naming the variable).
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
"$PY" -m pytest -q -p no:cacheprovider > "$W/honest.out" 2>&1; echo "honest run: $(decision)"
PYRAMID_RISK_BASE=HEAD "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"
show; check
echo "risk=$(jget pyramid-verdict.json risk.base) level=$(jget pyramid-verdict.json risk.level)"
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: PYRAMID_RISK_BASE=HEAD from the environment turned needs_approval into ready)" || echo "RESULT: HELD ($(decision))"
