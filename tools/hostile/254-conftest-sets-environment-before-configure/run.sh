#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Hostile 206 made the gates and the run identity read "the environment the run started
# with" (a test that leaves os.environ changed no longer moves them). The snapshot is taken
# at pytest_configure. The root conftest.py is imported *before* that (pytest loads the
# initial conftests first), and a conftest that sets variables at import is an everyday shape
# (`os.environ.setdefault("ENV", "test")`, a CI helper's own settings).
# The branch adds a migration; the tracked risk table (base "main", approval from "medium")
# asks for an approval. Rows (the tracked root conftest sets, at import):
# (a) control: nothing (needs_approval); (b) PYRAMID_RISK_BASE=HEAD; (c) PYRAMID_RUN_ID=conftest-run;
# (d) GITHUB_ACTIONS=true + GITHUB_RUN_ID=999 + GITHUB_RUN_ATTEMPT=1.
# Expected: (b) not `ready`; (c), (d) a run_id that is not the conftest's (the run was started
# outside CI).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
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
crow() {  # crow LABEL <conftest body>
  local label=$1; w conftest.py; commit "conftest $label"
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $label: exit=$e decision=$d risk.base=$(jget pyramid-verdict.json risk.base) run_id=$(jget pyramid-verdict.json run_id) | $(show > "$W/show.out"; grep -m1 -E "reason|problem" "$W/show.out")"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
crow a <<'X'
X
crow b <<'X'
import os
os.environ["PYRAMID_RISK_BASE"] = "HEAD"
X
crow c <<'X'
import os
os.environ["PYRAMID_RUN_ID"] = "conftest-run"
X
rid_c=$(jget pyramid-verdict.json run_id)
crow d <<'X'
import os
os.environ.update(GITHUB_ACTIONS="true", GITHUB_RUN_ID="999", GITHUB_RUN_ATTEMPT="1")
X
rid_d=$(jget pyramid-verdict.json run_id)
r=""
echo "$BROKEN_ROWS" | grep -qw a && { echo "RESULT: VACUOUS (control row a was ready)"; exit; }
echo "$BROKEN_ROWS" | grep -qw b && r="$r b (ready: the conftest's PYRAMID_RISK_BASE judged the risk)"
echo "$rid_c" | grep -q conftest-run && r="$r c (run_id $rid_c: the conftest's)"
echo "$rid_d" | grep -q 999 && r="$r d (run_id $rid_d: the conftest's CI identity)"
if [ -n "$r" ]; then echo "RESULT: BROKEN ($r)"; else echo "RESULT: HELD"; fi
