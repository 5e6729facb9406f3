#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# run/programs.py knows shells, Python and git by their file (device, inode) and "a copy by
# its SHA-256, hashed only when its size matches a known program". A copy with one byte
# appended (an ELF runs the same with trailing bytes) has another size: it is hashed against
# nothing, and is just "a program". Each row's test reads git-ignored golden data
# (golden/expected.txt, outside the test folders: only the child can name it) through:
# (a) control: a plain copy of the interpreter, env without the run's variable (case 240 e);
# (b) that copy plus one trailing byte; (c) a copy of /bin/sh plus one byte, fed the
# command on stdin; (d) (c) with `-c "cat golden/expected.txt"`.
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo 42 > golden/expected.txt
commit init
T="$W/bin"; mkdir -p "$T"
REAL=$("$PY" -c 'import os, sys; print(os.path.realpath(sys.executable))')
cp "$REAL" "$T/tool"; cp "$REAL" "$T/tool2"; printf '\0' >> "$T/tool2"
cp /bin/sh "$T/sh2"; printf '\0' >> "$T/sh2"
"$T/tool2" -c 'print("copy+1 runs")'; echo 'echo sh+1 runs' | "$T/sh2"
READ='print(open("golden/expected.txt").read().strip())'
prow() { row "$1" <<X
import os, subprocess
def test_row():
    out = subprocess.run($2, capture_output=True, text=True, env={"PATH": os.environ["PATH"]}${3:-}).stdout
    assert out.strip() == "42"
X
}
prow a "[\"$T/tool\", \"-c\", '$READ']"
prow b "[\"$T/tool2\", \"-c\", '$READ']"
prow c "[\"$T/sh2\"]" ', input="cat golden/expected.txt\n"'
prow d "[\"$T/sh2\", \"-c\", \"cat golden/expected.txt\"]"
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a copy of Python or sh one byte longer is no known program: its reads of ignored data unseen: ready)"
else echo "RESULT: HELD"; fi
