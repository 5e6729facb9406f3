#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test reads its expected rows from a SQLite database git ignores (a developer's fixture DB left in
# the workspace). sqlite opens the file in C: no Python open() is involved.
# Expected: not ready (a file under the repository that is not in the named tree was read).
base_project
echo "golden/" >> .gitignore
w tests/integration/test_db.py <<'X'
import sqlite3
from pathlib import Path

def test_rows():
    db = sqlite3.connect(Path(__file__).parents[2] / "golden" / "fixture.db")
    assert db.execute("select count(*) from t").fetchone()[0] == 3
X
commit init
mkdir -p golden; "$PY" -c 'import sqlite3; d=sqlite3.connect("golden/fixture.db"); d.execute("create table t(x)"); d.executemany("insert into t values (?)", [(1,),(2,),(3,)]); d.commit()'
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -3; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: the test read a git-ignored SQLite database)" || echo "RESULT: HELD ($(decision))"
