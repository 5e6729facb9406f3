#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project, row ...)
source "$(dirname "$0")/../_preamble.sh"
# An embedded interpreter in the test process: a subinterpreter (`_xxsubinterpreters`, CPython
# 3.8+; `interpreters` in 3.13+). Audit hooks added with `sys.addaudithook` belong to the
# interpreter that added them (PEP 578), so the recorder's hook does not see what a
# subinterpreter opens; the subinterpreter runs site (the .pth line) with the process's
# environment. (a) it reads a git-ignored data file and hands the value back through a pipe;
# (b) it imports a git-ignored module.
# Expected: not ready in both rows.
base_project
printf 'golden/\nmypkg/local_settings.py\npyramid-verdict*\n' >> .gitignore
commit init
mkdir -p golden; echo 42 > golden/expected.txt; echo "ANSWER = 42" > mypkg/local_settings.py
row a-subinterpreter-open <<'X'
import os
import _xxsubinterpreters as interpreters

def test_sub():
    read, write = os.pipe()
    sub = interpreters.create()
    interpreters.run_string(sub, f"import os, pathlib; os.write({write}, pathlib.Path('golden', 'expected' + '.txt').read_bytes())")
    interpreters.destroy(sub)
    assert os.read(read, 100).strip() == b"42"
X
row b-subinterpreter-import <<'X'
import os, sys
import _xxsubinterpreters as interpreters

def test_sub():
    read, write = os.pipe()
    sub = interpreters.create()
    interpreters.run_string(sub, f"import os, sys; sys.path.insert(0, {os.getcwd()!r}); from mypkg import local_settings; os.write({write}, str(local_settings.ANSWER).encode())")
    interpreters.destroy(sub)
    assert os.read(read, 100).strip() == b"42"
X
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS: a subinterpreter's reads are unseen)" || echo "RESULT: HELD (no row ready)"
