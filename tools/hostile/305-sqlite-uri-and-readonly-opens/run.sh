#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The promise (point 7): "a SQLite database it connects to ... is hashed when it is opened";
# a git-ignored database read makes the run incomplete (hostile case 110). The everyday way to
# open a fixture database without risking a write is SQLite's URI form:
# `sqlite3.connect("file:golden/ref.db?mode=ro", uri=True)` (the sqlite3 docs' own example);
# `?immutable=1` for a database on a read-only mount. The `sqlite3.connect` audit event carries
# that string, not a path.
# golden/ is git-ignored, outside the test folders. Each row's test reads the answer from
# golden/ref.db (a clean clone has none: the test cannot pass there).
# Rows: (a) control: connect("golden/ref.db"); (b) "file:golden/ref.db?mode=ro", uri=True;
# (c) an absolute "file:///.../golden/ref.db?immutable=1", uri=True; (d) "file:golden/ref.db"
# without a query, uri=True; (e) a percent-encoded name "file:golden/r%65f.db?mode=ro"; (f) the
# absolute URI with ?mode=ro; (g) the relative one with ?immutable=1 (which of c's two parts).
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden
"$PY" -c 'import sqlite3; c=sqlite3.connect("golden/ref.db"); c.execute("create table t(v)"); c.execute("insert into t values (4)"); c.commit(); c.close()'
commit init
row a <<'X'
import sqlite3
from mypkg.core import add
def test_row():
    assert sqlite3.connect("golden/ref.db").execute("select v from t").fetchone()[0] == add(2, 2)
X
row b <<'X'
import sqlite3
from mypkg.core import add
def test_row():
    c = sqlite3.connect("file:golden/ref.db?mode=ro", uri=True)
    assert c.execute("select v from t").fetchone()[0] == add(2, 2)
X
row c <<'X'
import sqlite3
from pathlib import Path
from mypkg.core import add
DB = Path(__file__).resolve().parents[2] / "golden" / "ref.db"
def test_row():
    c = sqlite3.connect(f"{DB.as_uri()}?immutable=1", uri=True)
    assert c.execute("select v from t").fetchone()[0] == add(2, 2)
X
row d <<'X'
import sqlite3
from mypkg.core import add
def test_row():
    c = sqlite3.connect("file:golden/ref.db", uri=True)
    assert c.execute("select v from t").fetchone()[0] == add(2, 2)
X
row e <<'X'
import sqlite3
from mypkg.core import add
def test_row():
    c = sqlite3.connect("file:golden/r%65f.db?mode=ro", uri=True)
    assert c.execute("select v from t").fetchone()[0] == add(2, 2)
X
row f <<'X'
import sqlite3
from pathlib import Path
from mypkg.core import add
DB = Path(__file__).resolve().parents[2] / "golden" / "ref.db"
def test_row():
    c = sqlite3.connect(f"{DB.as_uri()}?mode=ro", uri=True)
    assert c.execute("select v from t").fetchone()[0] == add(2, 2)
X
row g <<'X'
import sqlite3
from mypkg.core import add
def test_row():
    c = sqlite3.connect("file:golden/ref.db?immutable=1", uri=True)
    assert c.execute("select v from t").fetchone()[0] == add(2, 2)
X
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (the control row was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a SQLite database opened by its URI (uri=True) is not placed: the git-ignored golden/ref.db answered the test, ready)"
else echo "RESULT: HELD"; fi
