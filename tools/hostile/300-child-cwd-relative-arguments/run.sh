#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A test hands a program a file by a name relative to the folder the child starts in, not the
# run's: `subprocess.run(["cat", "expected.txt"], cwd=GOLDEN)` (an everyday spelling: run a tool
# "in" a fixture folder). The promise (docs/verdict.md point 7): "any file named among the
# arguments" a test hands to subprocess is hashed when the process starts; a git-ignored
# `golden/expected.txt` read so makes the run incomplete. The argument is relative to the
# child's working folder, which the `subprocess.Popen` audit event carries (its `cwd`).
# golden/ is git-ignored and lies outside the test folders (the workspace rule does not see it).
# Rows: (a) control `cat golden/expected.txt` (relative to the run's folder); (b) `cat
# expected.txt` with cwd=golden; (c) (b) with `diff expected.txt -` (a second program); (d) a
# shell command string `cd golden && cat expected.txt`; (e) the test chdirs into golden
# (monkeypatch.chdir) and runs `cat expected.txt`; (f) control: a Python child with cwd=golden
# opens expected.txt (followed: its own recorder resolves the open); (g) a command string
# `cat expected.txt` with shell=True and cwd=golden; (h) `env -C golden cat expected.txt`
# (coreutils' --chdir, a wrapper of the table); (i) a folder handed as an argument: `cp -r golden
# <tmp_path>/data`, the test reads the copy. Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo 4 > golden/expected.txt   # a clean clone has no golden/: the test cannot pass there
commit init
row a <<'X'
import subprocess
from mypkg.core import add
def test_row():
    out = subprocess.run(["cat", "golden/expected.txt"], capture_output=True, text=True, check=True).stdout
    assert int(out) == add(2, 2)
X
row b <<'X'
import subprocess
from pathlib import Path
from mypkg.core import add
GOLDEN = Path(__file__).resolve().parents[2] / "golden"
def test_row():
    out = subprocess.run(["cat", "expected.txt"], cwd=GOLDEN, capture_output=True, text=True, check=True).stdout
    assert int(out) == add(2, 2)
X
row c <<'X'
import subprocess
from pathlib import Path
from mypkg.core import add
GOLDEN = Path(__file__).resolve().parents[2] / "golden"
def test_row():
    r = subprocess.run(["diff", "expected.txt", "-"], cwd=GOLDEN, input=f"{add(2, 2)}\n", text=True)
    assert r.returncode == 0
X
row d <<'X'
import subprocess
from mypkg.core import add
def test_row():
    out = subprocess.run("cd golden && cat expected.txt", shell=True, capture_output=True, text=True, check=True).stdout
    assert int(out) == add(2, 2)
X
row e <<'X'
import subprocess
from mypkg.core import add
def test_row(monkeypatch):
    monkeypatch.chdir("golden")
    out = subprocess.run(["cat", "expected.txt"], capture_output=True, text=True, check=True).stdout
    assert int(out) == add(2, 2)
X
row f <<'X'
import subprocess, sys
from pathlib import Path
from mypkg.core import add
GOLDEN = Path(__file__).resolve().parents[2] / "golden"
def test_row():
    out = subprocess.run([sys.executable, "-c", "print(open('expected.txt').read())"], cwd=GOLDEN,
                         capture_output=True, text=True, check=True).stdout
    assert int(out) == add(2, 2)
X
row g <<'X'
import subprocess
from pathlib import Path
from mypkg.core import add
GOLDEN = Path(__file__).resolve().parents[2] / "golden"
def test_row():
    out = subprocess.run("cat expected.txt", shell=True, cwd=GOLDEN, capture_output=True, text=True, check=True).stdout
    assert int(out) == add(2, 2)
X
row h <<'X'
import subprocess
from mypkg.core import add
def test_row():
    out = subprocess.run(["env", "-C", "golden", "cat", "expected.txt"], capture_output=True, text=True, check=True).stdout
    assert int(out) == add(2, 2)
X
row i <<'X'
import subprocess
from mypkg.core import add
def test_row(tmp_path):
    subprocess.run(["cp", "-r", "golden", str(tmp_path / "data")], check=True)
    assert int((tmp_path / "data" / "expected.txt").read_text()) == add(2, 2)
X
if echo "$BROKEN_ROWS" | grep -qwE 'a|f'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a file argument relative to the child's cwd (or a cd in the command string) is resolved against the run's folder, so the git-ignored golden/expected.txt is not judged: ready (d: `cd` in a command string; h: `env -C`; i: a folder argument, `cp -r golden`))"
else echo "RESULT: HELD"; fi
