#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 12 on `source` names resolving to `src/` (config.source_path): an entry is "the path it
# names when that path exists, else the module a dotted name means at the top or under src/".
# "Exists" is asked of the file system, not of the tree. Moving a package into a src layout
# (`git mv mypkg src/mypkg`) leaves the top-level `mypkg/` behind whenever git ignores
# something in it: `mypkg/__pycache__/` (every project), a generated `mypkg/_version.py`
# (setuptools-scm). `source = ["mypkg"]` then means that leftover folder on this machine and
# `src/mypkg` in a clean clone: the closed world's own package, the static gates' files and
# coverage's source are another folder than the code the tests import.
# Rows: (a) control: the src layout, clean: ready; (b) the leftover `mypkg/__pycache__/` only;
# (c) the leftover holds a stale ignored `mypkg/_version.py` too.
# Expected: (b) and (c) judged as (a) (the same tree: ready, source = src/mypkg) or named for
# what they are (an ignored leftover); got: see the rows (a wrong field or a misleading reason).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nmypkg/_version.py\n' >> .gitignore
sed -i 's/pythonpath = \["."\]/pythonpath = ["src"]/' pyproject.toml
mkdir -p src && git add -A && git commit -qm init && git mv mypkg src/mypkg && commit srclayout
r=""; res=""
one() { local label=$1
  "$PY" -m pytest -q -p no:cacheprovider > "$W/p-$label.out" 2>&1; local e=$?; local d; d=$(decision)
  show > "$W/show-$label.out"
  echo "row $label: exit=$e decision=$d | $(tail -1 "$W/p-$label.out") | $(grep -m1 -E 'problem|reason' "$W/show-$label.out" | cut -c1-200)"
  res="$res $label=$d"; }
one a
mkdir -p mypkg/__pycache__ && cp src/mypkg/__pycache__/*.pyc mypkg/__pycache__/ 2>/dev/null || echo x > mypkg/__pycache__/core.cpython-312.pyc
git status --porcelain | head -3
one b
echo '__version__ = "0.0.1"' > mypkg/_version.py
one c
echo "rows:$res"
a=$(echo "$res" | tr ' ' '\n' | sed -n 's/^a=//p')
if [ "$a" != ready ]; then echo "RESULT: VACUOUS (control row a was $a)"
elif echo "$res" | grep -qE '(b|c)=(incomplete|blocked|none)'; then echo "RESULT: BROKEN (wrong verdict: an ignored leftover folder at the top turned source = [\"mypkg\"] into that folder; the same tree judged otherwise:$res)"
else echo "RESULT: HELD ($res)"; fi
