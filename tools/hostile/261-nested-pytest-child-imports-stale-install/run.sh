#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Case 202 for a child that is itself a pytest run. Since 202's fix a followed Python child
# reports the modules of the run's `source` it imports (a stale installed `mypkg` is
# foreign_code). Since the lead's fix on main, "a nested pytest run reports no project modules
# to the run that started it: its own verdict judges them". Nothing reads that verdict: the
# outer test looks at the inner run's exit code (pytester's runpytest_subprocess, a plugin's
# or CLI's own test suite). The inner run starts in tmp_path, where `mypkg` is the stale
# installed copy: the tree's broken `add` never runs.
# Rows: (a) control: the child is `python -c` (case 202: incomplete); (b) the child is
# `python -m pytest -q <inner test>` (the plugin loaded in it, no table: it writes its own
# verdict in tmp_path); (c) the child is `python -m pytest -p no:pyramid -q <inner test>`;
# (d) pytester's runpytest_subprocess.
# Expected: no row `ready` (the project's package ran from elsewhere in a process of the run).
# Found: (b)-(d) are named "python <unrecorded>" (the nested run replaces the spool variable), so
# they hold only until the project vouches for that entry, as pytest-pyramid's own pyproject does.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # the tree's code: broken


def mul(a, b):
    return a * b
X
rm tests/integration/test_int.py
w tests/unit/test_core.py <<'X'
from mypkg.core import mul

def test_mul():
    assert mul(2, 3) == 6
X
w tests/conftest.py <<'X'
pytest_plugins = ["pytester"]
X
fake_venv "$W/venv"
mkdir -p "$SP/mypkg"; : > "$SP/mypkg/__init__.py"
printf 'def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n' > "$SP/mypkg/core.py"
commit init
PY="$W/venv/bin/python"
INNER='from mypkg.core import add\n\ndef test_inner():\n    assert add(2, 2) == 4\n'
row a <<'X'
import subprocess, sys

def test_row(tmp_path):
    out = subprocess.run([sys.executable, "-c", "from mypkg.core import add; print(add(2, 2))"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "4"
X
cp tests/integration/test_row.py "$W/row_a.py"
row b <<X
import subprocess, sys

def test_row(tmp_path):
    (tmp_path / "test_inner.py").write_text("$INNER")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
X
cp tests/integration/test_row.py "$W/row_b.py"
row c <<X
import subprocess, sys

def test_row(tmp_path):
    (tmp_path / "test_inner.py").write_text("$INNER")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:pyramid", "-p", "no:cacheprovider", "test_inner.py"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
X
row d <<X
def test_row(pytester):
    pytester.makepyfile(test_inner="$INNER")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
X
# (e) the project vouches for unrecorded Python children (tracked allow_options, as
# pytest-pyramid's own pyproject does): row (b) again, and (f) row (a) again as its control.
printf 'allow_options = ["process python <unrecorded>"]\n' >> pyproject.toml
sed -i 's/^source = \["mypkg"\]$/source = ["mypkg"]\nallow_options = ["process python <unrecorded>"]/' pyproject.toml
sed -i '$d' pyproject.toml
cp tests/integration/test_row.py "$W/row_d.py"
row f < "$W/row_a.py"
row e < "$W/row_b.py"
if echo "$BROKEN_ROWS" | grep -qwE 'a|f'; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a nested pytest child imported the project's package from a stale install; nothing judged its verdict: ready)"
else echo "RESULT: HELD"; fi
