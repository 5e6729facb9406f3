#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The workspace rule (case 205) is one `git ls-files` started at collection's end and read
# at the session's, in each process that collects. One finishing route: the fact must reach
# the judgement alike serially, under xdist (the controller collects nothing) and through
# CI shards + `pyramid merge`. A failing test skips itself when ignored
# `tests/data/.skip-broken` exists; the test lies in shard 2 only.
# Rows: (a) serial; (b) -n 2; (c) 2 shards + merge; (d) 3 shards + merge, the ignored file
# created only after shard 1 ran (each CI shard's own checkout).
# Expected: no row `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\npyramid-partial-*\ntests/data/\n' >> .gitignore
for i in 1 2 3 4; do printf 'def test_u%s():\n    assert True\n' $i > tests/unit/test_u$i.py; done
w tests/integration/test_row.py <<'X'
from pathlib import Path
import pytest
def test_row():
    if (Path(__file__).parent.parent / "data/.skip-broken").exists():
        pytest.skip("known broken locally")
    assert False, "a real bug"
X
commit init
mkdir -p tests/data; touch tests/data/.skip-broken
r=""
one() { "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/p.out" 2>&1; echo "row $label: decision=$(decision) | $(tail -1 "$W/p.out")"; [ "$(decision)" = ready ] && r="$r $label"; }
label=a one
label=b one -n 2
shards() {  # shards LABEL TOTAL [index-to-create-data-before]
  export PYRAMID_RUN_ID=run-257-$1; rm -rf "$W/parts" tests/data; mkdir -p "$W/parts"
  for i in $(seq 1 "$2"); do
    [ "$i" = "${3:-1}" ] && { mkdir -p tests/data; touch tests/data/.skip-broken; }
    "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard="$i/$2" > "$W/s$i.out" 2>&1
    echo "   shard $i/$2: $(tail -1 "$W/s$i.out")"
  done
  mv pyramid-partial-*-of-"$2".* "$W/parts/" 2>/dev/null
  "$PYR" merge "$W/parts" -o "$W/v.json" > "$W/merge.out" 2>&1; local e=$?
  echo "row $1: merge exit=$e decision=$(decision "$W/v.json") | $(grep -A1 -m1 -E '^  - '  "$W/merge.out" | cut -c1-160)"
  [ "$(decision "$W/v.json")" = ready ] && r="$r $1"
  unset PYRAMID_RUN_ID
}
shards c 2
shards d 3 2
if echo "$r" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$r" ]; then echo "RESULT: BROKEN (rows$r: ignored data in the test folders reached a ready through another route)"
else echo "RESULT: HELD"; fi
