#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Every shard of one CI run gets the same extra setting (the CI template's one pytest line): the merged
# verdict must be what a serial run with that setting gives (incomplete for each below).
base_project
cat >> pyproject.toml <<'X'
strict = true
X
for i in 1 2 3 4; do printf 'def test_u%s():\n    assert True\n' $i > tests/unit/test_u$i.py; done
w tests/misc/test_misc.py <<'X'
def test_misc():
    assert True
X
commit init
r=HELD; n=0
sweep() { # label, then args
  local label=$1; shift; n=$((n+1)); export PYRAMID_RUN_ID=run-104-$n
  "$PY" -m pytest -q -p no:cacheprovider "$@" > "$W/serial.out" 2>&1; local sd; sd=$(decision)
  rm -rf "$W/parts"; mkdir -p "$W/parts"
  for s in 1 2; do "$PY" -m pytest -q -p no:cacheprovider --pyramid-shard=$s/2 "$@" > "$W/shard$s.out" 2>&1; mv pyramid-partial-$s-of-2.* "$W/parts/" 2>/dev/null; done
  "$PYR" merge "$W/parts" -o "$W/verdict.json" > "$W/merge.out" 2>&1; local md; md=$(decision "$W/verdict.json")
  echo "  $label: serial $sd, merged $md"
  [ "$md" = ready ] && r="BROKEN (false ready through shards + merge: $label)"
  [ "$sd" = ready ] && r="BROKEN (false ready serially: $label)"
}
sweep "-o pyramid_strict=false" -o pyramid_strict=false
sweep "--pyramid-tier=fast" --pyramid-tier=fast
sweep "-k u1" -k u1
sweep "--deselect" --deselect tests/unit/test_u1.py::test_u1
sweep "-o python_files=test_u*.py" -o "python_files=test_u*.py"
echo "RESULT: $r"
