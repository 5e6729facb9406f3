#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# "The same shard twice with different attempts (a CI re-run) is a retry: the later attempt
# counts." Which try is later is read from the partial's `attempt.finished`, the clock when the
# shard's session ended - in the process its tests ran in. A test that freezes the clock and
# does not put it back (case 200's accident; here a test of certificate expiry that moves
# "now" to 2030) makes its try the latest forever.
# Shard 1 ran twice: the first try passed (its clock-freezing test ran), the CI re-run (the
# real later try) failed: the integration test fails on it (TRY=2 simulates the flake).
# Rows: (a) control: no test freezes the clock; (b) `time.time = lambda: <2030>` in try 1.
# Expected: both rows count the later try: blocked (or incomplete), never `ready`.
base_project
printf 'pyramid-verdict*\npyramid-results*\npyramid-partial*\n.pyramid/\n' >> .gitignore
for i in 1 2 3 4; do printf 'def test_u%s():\n    assert True\n' $i > tests/unit/test_u$i.py; done
export PYRAMID_RUN_ID=run-215
w tests/integration/test_row.py <<'X'
import os, time

def test_flaky():
    if os.environ.get("FREEZE") and os.environ.get("TRY") == "1":
        time.time = lambda: 1900000000.0  # 2030: "now" for the certificate under test
    assert os.environ.get("TRY") != "2", "failed on the CI re-run"
X
commit init
# the shard that holds test_flaky is the one retried
S=1; rm -rf .pyramid; "$PY" -m pytest -p no:cacheprovider --pyramid-shard=1/2 --co -q 2>/dev/null | grep -q test_flaky || S=2
O=$((3 - S)); echo "test_flaky is in shard $S/2"
srow() { local l=$1 freeze=$2
  rm -rf "$W/parts" .pyramid; mkdir -p "$W/parts"  # no durations file: the same split in every run
  FREEZE=$freeze TRY=1 "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$S/2 > "$W/s1a.out" 2>&1
  mv pyramid-partial-$S-of-2.json "$W/parts/p$S-try1.json"
  sleep 1; rm -rf .pyramid
  FREEZE=$freeze TRY=2 "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$S/2 > "$W/s1b.out" 2>&1
  mv pyramid-partial-$S-of-2.json "$W/parts/p$S-try2.json"
  rm -rf .pyramid; TRY=0 "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$O/2 > "$W/s2.out" 2>&1
  mv pyramid-partial-$O-of-2.json "$W/parts/p$O.json"
  echo "   ($l) shard $S try 1: $(tail -1 "$W/s1a.out") | try 2: $(tail -1 "$W/s1b.out") | shard $O: $(tail -1 "$W/s2.out")"
  "$PYR" merge "$W/parts/p$S-try1.json" "$W/parts/p$S-try2.json" "$W/parts/p$O.json" -o "$W/v-$l.json" > "$W/merge-$l.out" 2>&1
  local e=$? d; d=$(decision "$W/v-$l.json")
  echo "row $l: merge exit=$e decision=$d | retried: $(jget "$W/v-$l.json" shards.retried | cut -c1-120)"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $l"
}
srow a ""
srow b 1
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a test's frozen clock made the passing first try count over the failed re-run: ready)"
else echo "RESULT: HELD"; fi
