#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A test runs a shell pipeline over a git-ignored input, written as people write shell: (a) a
# redirection without a space (`sort <golden/input.txt`), (b) the path in a variable assignment
# (`DATA=golden/input.txt sh -c 'sort "$DATA"'`), (c) a glob the shell expands
# (`cat golden/*.txt | sort`). No word of the command is the file's path as such.
# Expected: not ready in each (the ignored input decided the outcome).
base_project
printf 'golden/\npyramid-verdict*\n' >> .gitignore
commit init
mkdir -p golden; printf 'b\na\n' > golden/input.txt
r=HELD
for cmd in 'sort <golden/input.txt' 'DATA=golden/input.txt sh -c '"'"'sort "$DATA"'"'"'' 'cat golden/*.txt | sort'; do
"$PY" - "$cmd" <<'X'
import sys
open("tests/integration/test_shell.py", "w").write(
    "import subprocess\n\ndef test_sorted():\n"
    f"    out = subprocess.run({sys.argv[1]!r}, shell=True, capture_output=True, text=True).stdout\n"
    "    assert out.split() == ['a', 'b']\n")
X
commit "$cmd"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
echo "  [$cmd] pytest exit=$e decision=$(decision)"
[ "$(decision)" = ready ] && r="BROKEN (false ready: an ignored input reached through shell syntax)"
done
echo "RESULT: $r"
