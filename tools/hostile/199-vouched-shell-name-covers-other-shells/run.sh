#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The tracked configuration vouches for one shell reading its standard input:
# allow_options = ["process sh <stdin>"] ("one entry per shell's name"). Each row feeds
# `cat golden/expected.txt` (git-ignored golden data) on stdin to another shell:
# (a) control ["sh"] -> ready; (b) ["bash", "-s"]; (c) ["dash"]; (d) ["busybox", "sh"] or, without
# busybox (this machine), ["rbash"] (Debian's /usr/bin/rbash: a symlink to bash); (e) ["/bin/sh"] started through a symlink named sh in a git-ignored folder
# pointing at bash (bin/sh -> /bin/bash).
# Expected: (b)-(e) not `ready`: the entry names sh (e: a repository path run as a program).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\nbin/\n' >> .gitignore
cat >> pyproject.toml <<'X'
allow_options = ["process sh <stdin>"]
X
mkdir -p golden bin; echo 42 > golden/expected.txt; ln -s /bin/bash bin/sh
commit init
srow() { row "$1" <<X
import os, subprocess
def test_row():
    out = subprocess.run($2, input="cat golden/expected.txt\n", capture_output=True, text=True).stdout
    assert out.strip() == "42"
X
}
srow a '["sh"]'
srow b '["bash", "-s"]'
srow c '["dash"]'
if command -v busybox >/dev/null; then srow d '["busybox", "sh"]'; else srow d '["rbash"]'; fi
srow e '[os.path.abspath("bin/sh")]'
B=$(echo "$BROKEN_ROWS" | sed 's/ a//')
if ! echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was not ready)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: the entry for sh vouched for another shell)"
else echo "RESULT: HELD"; fi
