#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The closed world judges files under the repository; a test can reach one by a path that is
# *outside* it textually: a link the test (or a fixture) makes in tmp_path, the everyday way to
# "mount" fixture data into a scratch folder without copying it. The promise (point 7): a data
# file a test opens for reading is hashed when it is opened; a git-ignored golden/expected.txt
# read makes the run incomplete. The bytes read are the ignored file's, whatever the path.
# golden/ is git-ignored, outside the test folders.
# Rows: (a) control: open("golden/expected.txt"); (b) tmp_path/"data" symlinked to golden/, read
# tmp_path/data/expected.txt; (c) a hard link made in tmp_path (os.link; tmp_path and the
# checkout on one filesystem, as on most CI runners) read there; (d) shutil.copy into
# tmp_path (control: the copy opens the source); (e) a session fixture symlinks the whole
# checkout into a scratch folder ("project_dir"), the test reads project_dir/golden/expected.txt;
# (f) the path spelled through /proc/self/cwd.
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo 4 > golden/expected.txt
commit init
row a <<'X'
from mypkg.core import add
def test_row():
    assert int(open("golden/expected.txt").read()) == add(2, 2)
X
row b <<'X'
from pathlib import Path
from mypkg.core import add
GOLDEN = Path(__file__).resolve().parents[2] / "golden"
def test_row(tmp_path):
    (tmp_path / "data").symlink_to(GOLDEN)
    assert int((tmp_path / "data" / "expected.txt").read_text()) == add(2, 2)
X
row c <<'X'
import os
from pathlib import Path
from mypkg.core import add
GOLDEN = Path(__file__).resolve().parents[2] / "golden"
def test_row(tmp_path):
    os.link(GOLDEN / "expected.txt", tmp_path / "expected.txt")
    assert int((tmp_path / "expected.txt").read_text()) == add(2, 2)
X
row d <<'X'
import shutil
from pathlib import Path
from mypkg.core import add
GOLDEN = Path(__file__).resolve().parents[2] / "golden"
def test_row(tmp_path):
    shutil.copy(GOLDEN / "expected.txt", tmp_path / "expected.txt")
    assert int((tmp_path / "expected.txt").read_text()) == add(2, 2)
X
row e <<'X'
import pytest
from pathlib import Path
from mypkg.core import add
ROOT = Path(__file__).resolve().parents[2]
@pytest.fixture(scope="session")
def project_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("p") / "project"
    d.symlink_to(ROOT)
    return d
def test_row(project_dir):
    assert int((project_dir / "golden" / "expected.txt").read_text()) == add(2, 2)
X
row f <<'X'
from mypkg.core import add
def test_row():
    assert int(open("/proc/self/cwd/golden/expected.txt").read()) == add(2, 2)
X
echo "(tmp and the checkout lie on one filesystem here: os.link works)"
if echo "$BROKEN_ROWS" | grep -qwE 'a|d'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: the git-ignored golden/expected.txt read through a path outside the repository (a link the test made, /proc/self/cwd) is not judged: ready)"
else echo "RESULT: HELD"; fi
