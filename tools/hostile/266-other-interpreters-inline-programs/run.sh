#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# run/programs.py knows shells, Python and git by what they are; a shell's command string is
# read recursively, a file handed to a started process as an argument is hashed. Other
# interpreters on every Debian/Ubuntu host run a program given inline, and that program can
# open any file without naming it as an argument: awk (`getline < FILE`), perl (`open`), sed
# (its `r FILE` command). Each row's test reads git-ignored golden data (golden/expected.txt,
# outside the test folders: only the child can name it) through:
# (a) control: `cat golden/expected.txt` (the file is an argument: named);
# (b) awk 'BEGIN { getline l < "golden/expected.txt"; print l }';
# (c) perl -e 'open F, "<", "golden/expected.txt"; print <F>';
# (d) sed 'r golden/expected.txt' on a one-line input;
# (e) awk with the name put together inside its program ("golden/" "expected.txt").
# (f) a shell with the name put together: sh -c 'd=golden; cat "$d/expected.txt"'.
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo 42 > golden/expected.txt
commit init
prow() { row "$1" <<X
import subprocess
def test_row():
    out = subprocess.run($2, capture_output=True, text=True${3:-}).stdout
    assert out.strip().splitlines()[-1] == "42"
X
}
prow a '["cat", "golden/expected.txt"]'
prow b "[\"awk\", 'BEGIN { getline l < \"golden/expected.txt\"; print l }']"
command -v perl >/dev/null && prow c "[\"perl\", \"-e\", 'open F, \"<\", \"golden/expected.txt\"; print <F>']"
prow d "[\"sed\", \"r golden/expected.txt\"]" ', input="x\n"'
prow e "[\"awk\", 'BEGIN { f = \"golden/\" \"expected.txt\"; getline l < f; print l }']"
prow f "[\"sh\", \"-c\", 'd=golden; cat \"\$d/expected.txt\"']"
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: an interpreter other than sh/Python read ignored data its inline program named: ready)"
else echo "RESULT: HELD"; fi
