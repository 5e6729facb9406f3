#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The closed world holds what a test *opens* to the tree. A test can take its answer from a
# git-ignored file without opening it: from the folder listing, the link, the metadata.
# A clean clone of the commit fails each row's test. Rows:
# (a) control: `open()` of ignored `tests/data/expected.txt`;
# (b) `os.listdir("tests/data/cases")`: the ignored folder holds the expected case names;
# (c) `os.readlink("tests/data/answer")`: an ignored symlink whose target is the answer ("42");
# (d) `os.path.getsize("tests/data/blob.bin")` is the expected size;
# (e) `glob.glob("tests/data/cases/*.json")` count (scandir);
# (f) a test skips its failing body when ignored `tests/data/.skip-broken` exists (`Path.exists`).
# Expected: no row `ready` (the outcome rests on a file no tree holds).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ntests/data/\n' >> .gitignore
mkdir -p tests/data/cases; echo 42 > tests/data/expected.txt
touch tests/data/cases/alpha.json tests/data/cases/beta.json tests/data/.skip-broken
ln -s 42 tests/data/answer; head -c 1234 /dev/zero > tests/data/blob.bin
commit init
row a <<'X'
from pathlib import Path
def test_row():
    assert Path("tests/data/expected.txt").read_text().strip() == "42"
X
row b <<'X'
import os
def test_row():
    assert sorted(os.listdir("tests/data/cases")) == ["alpha.json", "beta.json"]
X
row c <<'X'
import os
def test_row():
    assert os.readlink("tests/data/answer") == "42"
X
row d <<'X'
import os
def test_row():
    assert os.path.getsize("tests/data/blob.bin") == 1234
X
row e <<'X'
import glob
def test_row():
    assert len(glob.glob("tests/data/cases/*.json")) == 2
X
row f <<'X'
from pathlib import Path
import pytest
def test_row():
    if Path("tests/data/.skip-broken").exists():
        pytest.skip("known broken locally")
    assert False, "a real bug"
X
B=$(echo "$BROKEN_ROWS" | sed 's/ a//')
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: an outcome taken from an ignored file's listing, link or metadata: ready)"
else echo "RESULT: HELD"; fi
