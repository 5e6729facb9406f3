#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Each of pytest's default norecursedirs names, alone, as a sub-folder of the unit tier holding a
# tracked failing test. Expected for each: files_not_collected -> incomplete (never ready).
base_project
commit init
R=""
for d in node_modules venv CVS _darcs '{arch}' .ci __pycache__x; do
  git rm -rq --cached tests/unit/sub 2>/dev/null; rm -rf tests/unit/sub_*; find tests/unit -mindepth 1 -maxdepth 1 -type d ! -name __pycache__ -exec rm -rf {} + 2>/dev/null
  mkdir -p "tests/unit/$d"; printf 'def test_hidden():\n    assert False, "broken"\n' > "tests/unit/$d/test_hidden.py"
  git add -A >/dev/null 2>&1; git commit -qm "add $d" >/dev/null 2>&1
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; ex=$?
  echo "[tests/unit/$d/test_hidden.py] pytest exit=$ex decision=$(decision) unit files_on_disk=$(jget pyramid-verdict.json tiers.unit.files_on_disk)"
  [ "$(decision)" = ready ] && R="$R tests/unit/$d"
  git rm -rq "tests/unit/$d" >/dev/null 2>&1; git commit -qm "rm $d" >/dev/null 2>&1; rm -rf "tests/unit/$d"
done
[ -n "$R" ] && echo "RESULT: FALSE-READY for$R" || echo "RESULT: HELD"
