#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Inner runs' shells are "placed by the run whose process started them": a nested recording
# run over a tree of its own (a project in tmp_path) keeps its `sh <stdin>` entries for its
# own verdict, and the outer run drops them (`unfollowed.shares_tree`, `without_streams`).
# But what the inner shell reads is not the inner tree's: here it reads the OUTER checkout's
# git-ignored `golden/expected.txt` by its absolute path, and the outer test passes or fails
# on the inner run's exit code. Nobody reads the inner verdict.
# Rows: (a) control: the outer test runs `sh` with the command on stdin itself;
# (b) an inner `python -m pytest` (plugin active, [tool.pyramid] in tmp_path) whose test does it;
# (c) (b) in-process through pytester's `runpytest()` (`-p no:playwright`: its soft assertions refuse nesting).
# Expected: no row `ready` (the outer test's outcome came from an ignored file; a clean clone fails).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ngolden/\n' >> .gitignore
mkdir -p golden; echo ok > golden/expected.txt
w conftest.py <<'X'
pytest_plugins = ["pytester"]
X
commit init
INNER='import subprocess
def test_inner():
    out = subprocess.run(["sh"], input="cat %s", capture_output=True, text=True).stdout
    assert out.strip() == "ok"
'
row a <<X
import subprocess
from pathlib import Path
GOLDEN = Path(__file__).resolve().parents[2] / "golden/expected.txt"
def test_row():
    out = subprocess.run(["sh"], input=f"cat {GOLDEN}", capture_output=True, text=True).stdout
    assert out.strip() == "ok"
X
row b <<X
import subprocess, sys
from pathlib import Path
GOLDEN = Path(__file__).resolve().parents[2] / "golden/expected.txt"
INNER = '''$INNER'''
def test_row(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.pyramid]\nsource = []\n')
    (tmp_path / "test_inner.py").write_text(INNER % GOLDEN)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
X
row c <<X
from pathlib import Path
GOLDEN = Path(__file__).resolve().parents[2] / "golden/expected.txt"
INNER = '''$INNER'''
def test_row(pytester):
    pytester.makepyprojecttoml('[tool.pyramid]\nsource = []\n')
    pytester.makepyfile(test_inner=INNER % GOLDEN)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:playwright").assert_outcomes(passed=1)
X
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: an inner run's shell read the outer checkout's ignored data; the outer run dropped the inner 'sh <stdin>' as the inner run's own: ready)"
else echo "RESULT: HELD"; fi
