#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test opens an in-memory SQLite database and ATTACHes a git-ignored fixture database by SQL
# (`ATTACH DATABASE 'golden/ref.db' AS ref`): SQLite opens the file in C, and only
# sqlite3.connect has an audit event (its argument here is ":memory:").
# Expected: not ready.
base_project
echo "golden/" >> .gitignore
w tests/integration/test_db.py <<'X'
import sqlite3
from pathlib import Path

REF = Path(__file__).parents[2] / "golden" / "ref.db"

def test_rows():
    db = sqlite3.connect(":memory:")
    db.execute("ATTACH DATABASE ? AS ref", (str(REF),))
    assert db.execute("select count(*) from ref.t").fetchone()[0] == 3
X
commit init
mkdir -p golden; "$PY" -c 'import sqlite3; d=sqlite3.connect("golden/ref.db"); d.execute("create table t(x)"); d.executemany("insert into t values (?)", [(1,),(2,),(3,)]); d.commit()'
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a git-ignored database ATTACHed by SQL)" || echo "RESULT: HELD ($(decision))"
