#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The plugin asks git (and other tools) through `subprocess.run`, looked up on the module when
# it is called - after the session too, in the process the tests ran in. A test that patches
# `subprocess.run` and never stops the patch (`mock.patch(...).start()` without `stop()`: an
# everyday leak in a suite of a CLI wrapper) answers the plugin's end-of-run git calls.
# The test edits a tracked file while it runs (a tool under test bumping the version:
# tree_changed); `pyramid check` is then run in the same workspace. Rows: (a) control: the same test without
# the patch; (b) the patch answers every call "exit 0, no output"; (c) it answers with a
# MagicMock (mock.patch's default).
# Expected: no row `ready` (the tree changed during the run), and `pyramid check` refuses.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
echo 'VERSION = "1.0"' > mypkg/version.py
commit init
mrow() { git checkout -q -- mypkg/version.py 2>/dev/null; row "$1" <<X
import subprocess
from pathlib import Path
from unittest import mock

def test_row():
    Path("mypkg/version.py").write_text('VERSION = "1.1"\n')  # the tool under test bumps it
    kind = "$1"
    if kind == "b":
        mock.patch("subprocess.run", return_value=subprocess.CompletedProcess([], 0, "", "")).start()
    elif kind == "c":
        mock.patch("subprocess.run").start()
X
echo "   ($1) dirty=$(jget pyramid-verdict.json dirty) commit=$(jget pyramid-verdict.json commit | cut -c1-14) digest=$(jget pyramid-verdict.json tree.digest | cut -c1-14) completeness=$(jget pyramid-verdict.json completeness | cut -c1-100)"
echo "   ($1) $(check)"
}
mrow a; mrow b; mrow c
git checkout -q -- mypkg/version.py
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a leaked subprocess mock answered the plugin's own git calls: ready)"
else echo "RESULT: HELD"; fi
