#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Cases 81/147 for the run's *children*: the project's package is also installed (an older,
# working build) in the environment; the tests' own process imports the tree's copy
# (`pythonpath = ["."]`), but the integration test drives the product in a child Python - the
# everyday way to test a CLI - started from a folder outside the checkout (`cwd=tmp_path`),
# where `mypkg` resolves to the installed copy. The tree's `add` is broken; the child never
# runs it. Rows: (a) `python -c "from mypkg.core import add ..."`, cwd=tmp_path; (b) `python -m
# mypkg.cli`, cwd=tmp_path; (c) control: the same child with cwd = the checkout (tree's copy:
# fails, blocked); (d) as (a), through a tracked (vouched) shell script that edits the run's
# variable to name no packages (round 9's target).
# Expected: (a), (b), (d) not `ready` (a package of the project imported from somewhere else, in a
# process of the run); (c) blocked.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # the tree's code: broken


def mul(a, b):
    return a * b
X
printf 'import sys\nfrom mypkg.core import add\nprint(add(int(sys.argv[1]), int(sys.argv[2])))\n' > mypkg/cli.py
rm tests/integration/test_int.py
w tests/unit/test_core.py <<'X'
from mypkg.core import mul

def test_mul():
    assert mul(2, 3) == 6
X
fake_venv "$W/venv"
mkdir -p "$SP/mypkg"; : > "$SP/mypkg/__init__.py"
printf 'def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n' > "$SP/mypkg/core.py"
cp mypkg/cli.py "$SP/mypkg/cli.py"
# row (d), round 9's target: a tracked script (vouched for: what the shell itself reads is the
# project's word) hands its Python child the run's variable with the packages edited away, so
# the child would report none of the project's modules it imports
w tools/edit.sh <<'X'
#!/bin/sh
PYRAMID_RECORD_SPOOL=$(printf '%s' "$PYRAMID_RECORD_SPOOL" | sed 's/"packages": \[[^]]*\]/"packages": []/') exec "$@"
X
echo 'allow_options = ["process tools/edit.sh"]' >> pyproject.toml
commit init
PY="$W/venv/bin/python"
row a <<'X'
import subprocess, sys

def test_row(tmp_path):
    out = subprocess.run([sys.executable, "-c", "from mypkg.core import add; print(add(2, 2))"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "4"
X
row b <<'X'
import subprocess, sys

def test_row(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mypkg.cli", "2", "2"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "4"
X
row c <<'X'
import subprocess, sys
from pathlib import Path

def test_row():
    out = subprocess.run([sys.executable, "-c", "from mypkg.core import add; print(add(2, 2))"],
                         cwd=Path(__file__).parents[2], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "4"
X
row d <<'X'
import subprocess, sys
from pathlib import Path

def test_row(tmp_path):
    edit = Path(__file__).parents[2] / "tools" / "edit.sh"
    out = subprocess.run(["sh", str(edit), sys.executable, "-c",
                          "from mypkg.core import add; print(add(2, 2))"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "4"
X
B=$(echo "$BROKEN_ROWS" | sed 's/ c//')
if echo "$BROKEN_ROWS" | grep -qw c; then echo "RESULT: VACUOUS (control row c was ready)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a child of the run imported the project's package from an installed copy: ready)"
else echo "RESULT: HELD"; fi
