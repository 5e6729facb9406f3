#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Case 156's shell reading its commands from its standard input ("sh <stdin>", incomplete unless
# the tracked allow_options vouches for it; none does here), by other spellings. Each row's
# test feeds `cat golden/expected.txt` (git-ignored golden data) on stdin:
# (a) ["sh"] [control: named], (b) ["sh", "/dev/stdin"], (c) ["sh", "-c", 'eval "$(cat)"'],
# (d) ["sh", "-c", "sh"] (the command string's program is a shell on stdin),
# (e) ["bash", "-c", ". /dev/stdin"], (f) ["sh", "/proc/self/fd/0"],
# (g) a Python child (followed) that execs ["sh"] reading the inherited stdin; (h) ["rbash"]
# (Debian's restricted bash, a symlink to bash).
# Expected: no row `ready` (each runs commands that no file and no argument names).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo 42 > golden/expected.txt
commit init
srow() { row "$1" <<X
import subprocess, sys
def test_row():
    out = subprocess.run($2, input="cat golden/expected.txt\n", capture_output=True, text=True).stdout
    assert out.strip() == "42"
X
}
srow a '["sh"]'
srow b '["sh", "/dev/stdin"]'
srow c '["sh", "-c", "eval \"\$(cat)\""]'
srow d '["sh", "-c", "sh"]'
srow e '["bash", "-c", ". /dev/stdin"]'
srow f '["sh", "/proc/self/fd/0"]'
srow h '["rbash"]'
srow g '[sys.executable, "-c", "import os; os.execvp(\"sh\", [\"sh\"])"]'
B=$(echo "$BROKEN_ROWS" | sed 's/ a//')
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a shell ran commands from its standard input unnamed)"
else echo "RESULT: HELD"; fi
