#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 12 on case 293's fix with this stop's src-layout `source`: setuptools writes
# `<name>.egg-info` where the package lies, so a src layout's editable install leaves
# `src/mypkg.egg-info/` (usually git-ignored with `*.egg-info`), on sys.path through
# `pythonpath = ["src"]`: `importlib.metadata` answers from it. Stale metadata (an old version,
# an entry point since removed) then answers a test.
# Rows: (a) control: no metadata: blocked (PackageNotFoundError); (b) ignored
# `src/mypkg.egg-info/PKG-INFO` saying 2.0; (c) the same with `entry_points.txt` naming a
# plugin group the test looks up; (d) (b) as `src/mypkg-2.0.dist-info/METADATA`.
# Expected: (b)-(d) not `ready` (a clean clone has no such metadata).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n*.egg-info/\n*.dist-info/\n' >> .gitignore
sed -i 's/pythonpath = \["."\]/pythonpath = ["src"]/' pyproject.toml
mkdir -p src && git mv mypkg src/mypkg 2>/dev/null || mv mypkg src/mypkg
w tests/integration/test_meta.py <<'X'
from importlib.metadata import entry_points, version

def test_version():
    assert version("mypkg") == "2.0"
X
commit init
r=""
one() { local label=$1
  "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out") | $(show > "$W/show-$label.out"; grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-200)"
  [ "$d" = ready ] && r="$r $label"; }
one a
mkdir -p src/mypkg.egg-info; printf 'Metadata-Version: 2.1\nName: mypkg\nVersion: 2.0\n' > src/mypkg.egg-info/PKG-INFO
one b
printf '[mypkg.plugins]\nold = mypkg.core:add\n' > src/mypkg.egg-info/entry_points.txt
w tests/integration/test_meta.py <<'X'
from importlib.metadata import entry_points

def test_plugins():
    assert [e.name for e in entry_points(group="mypkg.plugins")] == ["old"]
X
commit plugins
one c
rm -rf src/mypkg.egg-info; mkdir -p src/mypkg-2.0.dist-info
printf 'Metadata-Version: 2.1\nName: mypkg\nVersion: 2.0\n' > src/mypkg-2.0.dist-info/METADATA
w tests/integration/test_meta.py <<'X'
from importlib.metadata import version

def test_version():
    assert version("mypkg") == "2.0"
X
commit back
one d
if echo "$r" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: stale package metadata under src/ answered a test: ready)"
else echo "RESULT: HELD"; fi
