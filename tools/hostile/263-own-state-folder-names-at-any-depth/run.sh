#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The closed world does not count reads of "tools' state" (run/imported.py: OWN_STATE `.git`,
# `__pycache__`, `.pyramid`, `.hypothesis`; suffixes `.egg-info`, `.dist-info`), matched as a
# folder *name at any depth* of the repository, not as the tools' own folders. The digest
# leaves out `**/.pyramid/**` and `**/__pycache__/**` at any depth too (tree.excluded). A test
# reads its expected answer ("42"; a clean clone has none, the test fails there) from:
# (a) control: ignored `golden/expected.txt`;
# (b) ignored `golden/.hypothesis/expected.txt`; (c) ignored `golden/__pycache__/expected.txt`;
# (d) ignored `golden.egg-info/expected.txt` (`*.egg-info/` is in every Python .gitignore);
# (e) an untracked, not ignored `tests/.pyramid/expected.txt` (left out of the digest: not dirty);
# (f) an untracked, not ignored `golden/.pyramid/expected.txt` outside the test folders.
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n/.pyramid/\ngolden/\n*.egg-info/\n' >> .gitignore
commit init
rd() { row "$1" <<X
from pathlib import Path
def test_row():
    assert (Path(__file__).parents[2] / "$2").read_text().strip() == "42"
X
}
put() { mkdir -p "$(dirname "$1")"; echo 42 > "$1"; }
put golden/expected.txt; rd a golden/expected.txt
put golden/.hypothesis/expected.txt; rd b golden/.hypothesis/expected.txt
put golden/__pycache__/expected.txt; rd c golden/__pycache__/expected.txt
put golden.egg-info/expected.txt; rd d golden.egg-info/expected.txt
rm -rf golden golden.egg-info
# rows e, f: the file appears after `row` commits its test (untracked, not ignored)
w tests/integration/test_row.py <<'X'
from pathlib import Path
def test_row():
    assert (Path(__file__).parents[2] / "tests/.pyramid/expected.txt").read_text().strip() == "42"
X
commit "row e"; put tests/.pyramid/expected.txt
"$PY" -m pytest -q -p no:cacheprovider > "$W/e.out" 2>&1; d=$(decision)
echo "row e: exit=$? decision=$d dirty=$(jget pyramid-verdict.json dirty) | $(tail -1 "$W/e.out")"; [ "$d" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && BROKEN_ROWS="$BROKEN_ROWS e"
rm -rf tests/.pyramid
printf '!golden/.pyramid/\n' >> .gitignore
w tests/integration/test_row.py <<'X'
from pathlib import Path
def test_row():
    assert (Path(__file__).parents[2] / "mypkg/.pyramid/expected.txt").read_text().strip() == "42"
X
commit "row f"; put mypkg/.pyramid/expected.txt; git status --short | sed 's/^/   git status: /'
"$PY" -m pytest -q -p no:cacheprovider > "$W/f.out" 2>&1; d=$(decision)
echo "row f: decision=$d dirty=$(jget pyramid-verdict.json dirty) | $(tail -1 "$W/f.out")"; [ "$d" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && BROKEN_ROWS="$BROKEN_ROWS f"
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: data read from folders named like tools' state, anywhere in the repository: ready, not dirty)"
else echo "RESULT: HELD"; fi
