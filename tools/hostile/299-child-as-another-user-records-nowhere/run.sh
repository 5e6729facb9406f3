#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Nested runs and followed children are known from the host (`run/lineage.py`): the run's file
# in its 0700 spool folder is trusted only when it is this user's, and a child writes its facts
# into that folder. A Python child the run starts as *another account* (`subprocess.run(...,
# user=...)`, the everyday way to test privilege-dropping code; the run is root in many CI
# containers) can read neither: `read_run_file` gives None (so the child falls back to the
# variable's scope) and it cannot write `<pid>.jsonl` into the root-owned 0700 folder.
# What it read reaches which verdict?
# The child reads the outer checkout's git-ignored `golden/expected.txt` (world-readable).
# Rows: (a) control: the child as this user (incomplete, naming golden/expected.txt);
# (b) the child as `nobody` (`user=65534`); (c) (b) under -n 2; (d) (b) with the tracked vouch
# `allow_options = ["process python <unrecorded>"]` (meant for children that drop the variable);
# (e) control for (d): the vouch, the child as this user (its spool report names the file).
# (The system interpreter's venv sees the tool through a .pth `addsitedir` line, so the run
# also keys its children `python <unrecorded>`: rows b, c name only that.)
# Expected: no row `ready` (a clean clone fails the test).
[ "$(id -u)" = 0 ] || { echo "RESULT: VACUOUS (not root: cannot start a child as another user)"; exit; }
# an interpreter the other account may run (this machine's pyenv one lies under /root): the
# system's, in a virtual environment that sees the tool's own (fake_venv's .pth line)
[ -x /usr/bin/python3 ] || { echo "RESULT: VACUOUS (no /usr/bin/python3)"; exit; }
/usr/bin/python3 -m venv --without-pip "$W/venv" >/dev/null
base_sp=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "import site; site.addsitedir('$base_sp')" > "$(echo "$W"/venv/lib/python3*/site-packages)/zz_tool_env.pth"
PY="$W/venv/bin/python"
"$PY" -c 'import pytest_pyramid' || { echo "RESULT: VACUOUS (the system interpreter cannot import the tool)"; exit; }
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo ok > golden/expected.txt; chmod 755 golden; chmod 644 golden/expected.txt
commit init
# nobody must reach the checkout and the interpreter (the case's folders are root's)
d="$PWD"; while [ "$d" != / ]; do chmod o+rx "$d" 2>/dev/null; d=$(dirname "$d"); done
CHILD='import os, subprocess, sys
from pathlib import Path
GOLDEN = str(Path(__file__).resolve().parents[2] / "golden/expected.txt")
def child(**kw):
    # the path in the environment, not an argument: an argument naming a file is judged itself
    done = subprocess.run([sys.executable, "-c", "import os; print(open(os.environ[\"G\"]).read())"],
                          env={**os.environ, "G": GOLDEN}, capture_output=True, text=True, **kw)
    return done.stdout.strip() or done.stderr[-300:]'
row a <<X
$CHILD
def test_row():
    assert child() == "ok"
X
row b <<X
$CHILD
def test_row():
    assert child(user=65534) == "ok"
X
row c -n 2 <<X
$CHILD
def test_row():
    assert child(user=65534) == "ok"
X
# (d) (b) in a project that vouches for Python children started without the run's recorder
# (pytest-pyramid's own pyproject does: its release test runs the installed wheel so)
printf 'allow_options = ["process python <unrecorded>"]\n' >> pyproject.toml
row d <<X
$CHILD
def test_row():
    assert child(user=65534) == "ok"
X
row e <<X
$CHILD
def test_row():
    assert child() == "ok"
X
grep -h -m2 -E "^E " "$W"/pytest-b.out 2>/dev/null | cut -c1-200
if echo "$BROKEN_ROWS" | grep -qwE 'a|e'; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a Python child started as another account read ignored data; it could not reach the run's spool and nothing was named: ready)"
else echo "RESULT: HELD"; fi
