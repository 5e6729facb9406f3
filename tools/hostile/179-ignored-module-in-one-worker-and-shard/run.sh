#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# "A fact any worker or shard observed counts (the union, never the first worker's)". Eight unit
# tests; one of them imports git-ignored `mypkg/local_settings.py` inside its body (so only the
# process that runs it loads it), and a second reads a git-ignored data file through a `spawn` child
# (the .pth recorder's spool, inside one worker). Routes: (a) -n 2, (b) -n 2 --dist loadfile,
# (c) two CI shards + `pyramid merge`.
# Expected: incomplete on every route, naming both files.
base_project
printf 'mypkg/local_settings.py\ngolden/\npyramid-verdict*\npyramid-partial-*\n' >> .gitignore
for i in 1 2 3 4 5 6; do printf 'def test_u%s():\n    assert True\n' $i > tests/unit/test_u$i.py; done
w tests/unit/test_settings.py <<'X'
def test_settings():
    from mypkg import local_settings
    assert local_settings.ANSWER == 42
X
w tests/unit/test_spawn.py <<'X'
import multiprocessing
from pathlib import Path

def load(parts):
    return Path(*parts).read_text().strip()

def test_spawn():
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(load, (("golden", "expected" + ".txt"),)) == "42"
X
commit init
echo "ANSWER = 42" > mypkg/local_settings.py; mkdir -p golden; echo 42 > golden/expected.txt
r=""
named() { "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); t=json.dumps(v.get("completeness")); print(("local_settings" in t), ("expected.txt" in t))' "$1"; }
"$PY" -m pytest -q -p no:cacheprovider -n 2 > "$W/a.out" 2>&1; echo "  (a) -n 2: $(decision) named(settings, data)=$(named pyramid-verdict.json)"; [ "$(decision)" = ready ] && r="$r a"
"$PY" -m pytest -q -p no:cacheprovider -n 2 --dist loadfile > "$W/b.out" 2>&1; echo "  (b) -n 2 loadfile: $(decision) named=$(named pyramid-verdict.json)"; [ "$(decision)" = ready ] && r="$r b"
export PYRAMID_RUN_ID=run-179; rm -f pyramid-verdict.json
"$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=1/2 > "$W/s1.out" 2>&1
"$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=2/2 > "$W/s2.out" 2>&1
mkdir -p "$W/parts"; mv pyramid-partial-* "$W/parts/"
"$PYR" merge "$W/parts" -o "$W/v.json" > "$W/merge.out" 2>&1; echo "  (c) shards + merge: exit=$? $(decision "$W/v.json") named=$(named "$W/v.json")"
[ "$(decision "$W/v.json")" = ready ] && r="$r c"
[ -n "$r" ] && echo "RESULT: BROKEN (ready in rows:$r)" || echo "RESULT: HELD (incomplete on every route)"
