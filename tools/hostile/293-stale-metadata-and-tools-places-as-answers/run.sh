#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Tools' state is now judged by place (case 263's fix, `imported._own_state`): the metadata
# files of any `*.egg-info` / `*.dist-info` folder, `.pyramid` and `.hypothesis` at the top,
# `.git` wherever a repository is. Whether a *test* takes its answer from them is not asked.
# The everyday accident: a stale `mypkg.egg-info/` left at the top by an old `pip install -e .`
# (git-ignored) is found by importlib.metadata through the `pythonpath = ["."]` entry; a test
# `assert version("mypkg") == mypkg.__version__` passes on it, and a clean clone fails
# (PackageNotFoundError).
# Rows: (a) control: the same test without the stale folder (blocked, the test fails);
# (b) ignored `mypkg.egg-info/PKG-INFO` (Version: 2.0) at the top; (c) ignored
# `mypkg-2.0.dist-info/METADATA` at the top instead; (d) a test reads its answer from ignored
# `.hypothesis/expected.txt` at the top; (e) from ignored `.pyramid/expected.txt` at the top;
# (f) from `fixtures/.git/expected.txt` (fixtures/ ignored, outside the test folders; a `.git`
# folder that is no repository); (g) control for d-f: ignored `golden/expected.txt`.
# Expected: (a) blocked; no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n*.egg-info/\n*.dist-info/\n.hypothesis/\nfixtures/\n' >> .gitignore
echo '__version__ = "2.0"' > mypkg/__init__.py
commit init
META='import mypkg
from importlib.metadata import version
def test_row():
    assert version("mypkg") == mypkg.__version__'
row a <<<"$META"
mkdir -p mypkg.egg-info; printf 'Metadata-Version: 2.1\nName: mypkg\nVersion: 2.0\n' > mypkg.egg-info/PKG-INFO
row b <<<"$META"
rm -rf mypkg.egg-info; mkdir -p mypkg-2.0.dist-info; printf 'Metadata-Version: 2.1\nName: mypkg\nVersion: 2.0\n' > mypkg-2.0.dist-info/METADATA
row c <<<"$META"
rm -rf mypkg-2.0.dist-info
mkdir -p .hypothesis .pyramid fixtures/.git
for f in .hypothesis .pyramid fixtures/.git; do echo 4 > "$f/expected.txt"; done
for pair in "d .hypothesis" "e .pyramid" "f fixtures/.git"; do set -- $pair
row "$1" <<X
from pathlib import Path
TOP = Path(__file__).resolve().parents[2]
def test_row():
    assert 2 + 2 == int((TOP / "$2/expected.txt").read_text())
X
done
# a control for d-f: the same read from an ignored folder of no tool's name must be named
mkdir -p golden; echo 4 > golden/expected.txt; echo golden/ >> .gitignore; commit golden
row g <<'X'
from pathlib import Path
TOP = Path(__file__).resolve().parents[2]
def test_row():
    assert 2 + 2 == int((TOP / "golden/expected.txt").read_text())
X
if echo "$BROKEN_ROWS" | grep -qwE 'a|g'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a test took its answer from ignored files in tools' places (stale package metadata, the plugin's or Hypothesis' folder, a .git folder): ready)"
else echo "RESULT: HELD"; fi
