#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# CI shards: one shard runs with -p no:timeout (a configured per-test limit not enforced) and a test that
# takes longer than its tier's limit. A serial run with -p no:timeout is incomplete; the merge must be too.
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.unit]
test_timeout = "1s"
X
for i in 1 2 3 4; do printf 'def test_u%s():\n    assert True\n' $i > tests/unit/test_u$i.py; done
w tests/unit/test_slow.py <<'X'
import time

def test_slow():
    time.sleep(1.5)
X
commit init
export PYRAMID_RUN_ID=run-90
"$PY" -m pytest -q -p no:cacheprovider -p no:timeout > "$W/serial.out" 2>&1; echo "serial -p no:timeout: $(decision)"
for s in 1 2; do "$PY" -m pytest -q -p no:cacheprovider -p no:timeout --pyramid-shard=$s/2 > "$W/shard$s.out" 2>&1; echo "shard $s exit=$?"; done
mkdir -p "$W/parts"; mv pyramid-partial-* "$W/parts/"
"$PYR" merge "$W/parts" -o "$W/verdict.json" > "$W/merge.out" 2>&1; echo "merge exit=$?"
show "$W/verdict.json" | head -4
[ "$(decision "$W/verdict.json")" = ready ] && echo "RESULT: BROKEN (false ready: shards with -p no:timeout merged to ready)" || echo "RESULT: HELD ($(decision "$W/verdict.json"))"
