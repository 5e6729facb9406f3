#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project, row ...)
source "$(dirname "$0")/../_preamble.sh"
# The .pth recorder follows a Python child of a recording run through PYRAMID_RECORD_SPOOL (docs:
# "a Python program a test runs ... installs the same recorder and spools what it reads"). A Python
# child reads a git-ignored golden/expected.json, started: (a) with a fresh environment
# (`env={"PATH": ...}`: the variable is gone), (b) through `env -i`, (c) `python -I` (isolated),
# (d) `python -E` with PYTHONNOUSERSITE=1, (e) `os.fork()` without exec (the child reads, pipes the
# value back, `os._exit(0)`), (f) `python -s` as a *child* of a child (a grandchild), (g) a test that
# removes PYRAMID_RECORD_SPOOL from its own environment (isolating a CLI it tests) and runs a child.
# Expected: not ready in every row (python -S children are a documented limit: not tried).
base_project
printf "golden/\npyramid-verdict*\n" >> .gitignore
commit init
mkdir -p golden; echo 42 > golden/expected.json
# the path is built, not spelled: a literal path among the arguments is named by the parent
READ='import pathlib; print(pathlib.Path("golden", "expected" + ".json").read_text().strip())'
row a-fresh-env <<X
import os, subprocess, sys

def test_child():
    out = subprocess.run([sys.executable, "-c", '$READ'], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True)
    assert out.stdout.strip() == "42", out.stderr
X
row b-env-i <<X
import subprocess, sys

def test_child():
    out = subprocess.run(["env", "-i", sys.executable, "-c", '$READ'], capture_output=True, text=True)
    assert out.stdout.strip() == "42", out.stderr
X
row c-isolated <<X
import subprocess, sys

def test_child():
    out = subprocess.run([sys.executable, "-I", "-c", '$READ'], capture_output=True, text=True)
    assert out.stdout.strip() == "42", out.stderr
X
row d-E-nousersite <<X
import os, subprocess, sys

def test_child():
    env = dict(os.environ, PYTHONNOUSERSITE="1")
    out = subprocess.run([sys.executable, "-E", "-c", '$READ'], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "42", out.stderr
X
row e-fork-no-exec <<'X'
import os, pathlib

def test_child():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, pathlib.Path("golden", "expected" + ".json").read_bytes())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 100).strip() == b"42"
X
row f-grandchild-s <<X
import subprocess, sys

INNER = """import subprocess, sys; print(subprocess.run([sys.executable, '-s', '-c', '''$READ'''], capture_output=True, text=True).stdout)"""

def test_child():
    out = subprocess.run([sys.executable, "-c", INNER], capture_output=True, text=True)
    assert out.stdout.strip() == "42", out.stderr
X
row g-delenv-in-test <<X
import subprocess, sys

def test_child(monkeypatch):
    # a test that isolates its subprocess from the outer tool's variables (PYRAMID_*)
    monkeypatch.delenv("PYRAMID_RECORD_SPOOL", raising=False)
    out = subprocess.run([sys.executable, "-c", '$READ'], capture_output=True, text=True)
    assert out.stdout.strip() == "42", out.stderr
X
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS: a Python child read a git-ignored file unseen)" || echo "RESULT: HELD (no row ready)"
