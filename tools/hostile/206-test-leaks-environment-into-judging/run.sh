#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The invocation table judges the environment the run *started* with (case 74:
# PYRAMID_RISK_BASE from outside is judgement-changing). The gates and the writer run after the
# session, in the process the tests ran in, and read os.environ again then. A test that sets a
# variable and does not put it back (`os.environ[...] = ...` instead of monkeypatch.setenv: an
# everyday leak in suites of CI-aware tools) hands its value to the judgement.
# The branch adds a migration; the tracked risk table (base "main", approval from "medium")
# asks for an approval. Rows: (a) control: no leak (needs_approval); (b) a test leaves
# PYRAMID_RISK_BASE=HEAD; (c) a test leaves GITHUB_RUN_ID=1234 / GITHUB_RUN_ATTEMPT (a fixture
# value of a test of CI helpers, without GITHUB_ACTIONS); (d) a test leaves
# PYRAMID_RUN_ID=fixture-run: the verdict's `run_id` (which `pyramid merge` trusts to tell one
# CI run's shards from another's, and the history keys its rows by) is the test's.
# Expected: (a), (b) needs_approval; (c), (d) a run_id that is not the test's (the run started outside CI).
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
row a <<'X'
def test_row():
    assert True
X
echo "   (a) risk.base=$(jget pyramid-verdict.json risk.base) level=$(jget pyramid-verdict.json risk.level)"
row b <<'X'
import os

def test_row():
    os.environ["PYRAMID_RISK_BASE"] = "HEAD"  # a test of the CI helper, no monkeypatch
X
echo "   (b) risk.base=$(jget pyramid-verdict.json risk.base) level=$(jget pyramid-verdict.json risk.level)"
row c <<'X'
import os

def test_row():
    os.environ["GITHUB_RUN_ID"] = "1234"
    os.environ["GITHUB_RUN_ATTEMPT"] = "1"
X
rid=$(jget pyramid-verdict.json run_id); echo "   (c) run_id=$rid"
row d <<'X'
import os

def test_row():
    os.environ["PYRAMID_RUN_ID"] = "fixture-run"  # a test of the history report, no monkeypatch
X
rid_d=$(jget pyramid-verdict.json run_id); echo "   (d) run_id=$rid_d"
r=""
echo "$BROKEN_ROWS" | grep -qw a && { echo "RESULT: VACUOUS (control row a was ready)"; exit; }
echo "$BROKEN_ROWS" | grep -qw b && r="$r b (ready: the test's PYRAMID_RISK_BASE judged the risk)"
echo "$rid" | grep -q 1234 && r="$r c (run_id $rid: the test's CI identity)"
echo "$rid_d" | grep -q fixture-run && r="$r d (run_id $rid_d: the test's PYRAMID_RUN_ID; shards of two CI runs whose tests leak one id merge as one run)"
[ -n "$r" ] && echo "RESULT: BROKEN (rows$r)" || echo "RESULT: HELD"
