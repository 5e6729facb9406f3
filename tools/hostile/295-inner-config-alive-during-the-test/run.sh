#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# An in-process run's recorder now stops with its configuration (`config.add_cleanup(
# recorder.uninstall)`, closed_world.install): until then the closed world's variable names the
# inner run's spool, and every child the process starts records there. pytester's
# `parseconfigure()` / `getitems()` (the everyday way to test a plugin's configuration) keep
# the inner configuration alive until the *test's* teardown: a child the outer test starts
# meanwhile records for the inner run, whose spool is deleted at its cleanup, unread.
# The outer test's child reads the outer checkout's git-ignored `golden/expected.txt`.
# Rows: (a) control: the child alone (incomplete, naming golden/expected.txt);
# (b) `pytester.parseconfigure()` on an inner project with [tool.pyramid], then the child;
# (`getitems()`/`getmodulecol()` on such a project crash in the plugin's tier assignment:
# pytester's `getnode` hands pytest_collection_modifyitems a Module; see FINDINGS-round10).
# Expected: no row `ready` (a clean clone fails the test).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo ok > golden/expected.txt
w conftest.py <<'X'
pytest_plugins = ["pytester"]
X
commit init
CHILD='import subprocess, sys
from pathlib import Path
GOLDEN = str(Path(__file__).resolve().parents[2] / "golden/expected.txt")
def child():
    return subprocess.run([sys.executable, "-c", "import sys; print(open(sys.argv[1]).read())", GOLDEN],
                          capture_output=True, text=True).stdout.strip()'
row a <<X
$CHILD
def test_row():
    assert child() == "ok"
X
row b <<X
$CHILD
def test_row(pytester):
    pytester.makepyprojecttoml('[tool.pyramid]\nsource = []\n')
    pytester.parseconfigure()
    assert child() == "ok"
X
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a child started while a pytester configuration was alive recorded for the inner run; its read of ignored data reached no verdict: ready)"
else echo "RESULT: HELD"; fi
