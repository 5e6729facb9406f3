#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The tracked configuration vouches for two things the closed world cannot follow:
# allow_options = ["process sh <stdin>", "process python <unrecorded>"] (a shell reading its
# commands from its standard input; a Python interpreter started without the run's recorder).
# The attacker adds git-ignored executables under bin/ and a test runs them; each reads the
# git-ignored golden/expected.txt (a golden value outside every tree). Rows:
# (a) control: ["sh"] with input= (what the entry vouches for) -> ready expected;
# (b) git-ignored bin/sh (a `#!/bin/sh` script of the repository) run with input=;
# (c) git-ignored bin/python3 (a `#!/bin/sh` script, not Python) run with env={"PATH": ...};
# (d) git-ignored bin/python-tool (a Python script of the repository) run with env={"PATH": ...}.
# Expected: (b)-(d) not `ready`: each is a file of the repository run as a program, which the
# vouching for a shell on stdin / an unrecorded interpreter does not name.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nbin/\ngolden/\n' >> .gitignore
cat >> pyproject.toml <<'X'
allow_options = ["process sh <stdin>", "process python <unrecorded>"]
X
mkdir -p golden bin; echo 42 > golden/expected.txt
printf '#!/bin/sh\ncat "$1" 2>/dev/null || cat golden/expected.txt\n' > bin/sh
printf '#!/bin/sh\ncat golden/expected.txt\n' > bin/python3
printf '#!%s\nprint(open("golden/expected.txt").read())\n' "$PY" > bin/python-tool
chmod +x bin/*
commit init
row a <<'X'
import subprocess
def test_row():
    out = subprocess.run(["sh"], input="cat golden/expected.txt", capture_output=True, text=True).stdout
    assert out.strip() == "42"
X
row b <<'X'
import os, subprocess
def test_row():
    out = subprocess.run([os.path.abspath("bin/sh")], input="", capture_output=True, text=True).stdout
    assert out.strip() == "42"
X
row c <<'X'
import os, subprocess
def test_row():
    out = subprocess.run([os.path.abspath("bin/python3")], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True).stdout
    assert out.strip() == "42"
X
row d <<'X'
import os, subprocess
def test_row():
    out = subprocess.run([os.path.abspath("bin/python-tool")], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True).stdout
    assert out.strip() == "42"
X
B=$(echo "$BROKEN_ROWS" | sed 's/ a//')
if ! echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was not ready: the vouching itself did not work)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a repository file run as a program passed under a vouched shell/interpreter name)"
else echo "RESULT: HELD"; fi
