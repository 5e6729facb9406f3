#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# The workspace rule (case 205) names a git-ignored entry lying in the test folders "before
# the cut" and leaves out one made or changed after it ("the run's own output"). The cut is
# the wall clock read when collection ends (`closed_world._WALL_NS = time.time_ns`, a module
# attribute bound at import), and collection is when test modules are imported. A test
# module that starts a time-travel library at import (the everyday accident of cases 255,
# 259: `.start()` never stopped) moves the cut to the past, and every ignored file's kernel
# times (the real clock) then lie "after the cut".
# A failing test skips itself when ignored `tests/data/.skip-broken` exists.
# Rows: (a) control: time-machine imported, no travel (incomplete, naming tests/data);
# (b) another tracked test module starts `time_machine.travel(2000-01-01, tick=False)` at
# import; (c) the same with freezegun's `freeze_time("2000-01-01").start()`.
# Expected: no row `ready` (a clean clone fails the test).
TM=$(ls /opt/pypi/files/time_machine-*cp311*.whl 2>/dev/null | head -1)
FG=$(ls "$HERE"/../259-*/freezegun-*.whl /tmp/hostile9a-dl/freezegun-*.whl 2>/dev/null | head -1)
if [ -z "$FG" ]; then mkdir -p "$W/dl"; "$PY" -m pip download -q --no-deps freezegun==1.5.5 -d "$W/dl" >/dev/null 2>&1; FG=$(ls "$W"/dl/freezegun-*.whl 2>/dev/null | head -1); fi
[ -n "$TM" ] || { echo "RESULT: VACUOUS (no time_machine wheel)"; exit; }
fake_venv "$W/venv"
for whl in $TM $FG; do "$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$whl" "$SP"; done
rm -f "$SP"/time_machine-*.dist-info/entry_points.txt "$SP"/freezegun-*.dist-info/entry_points.txt
PY="$W/venv/bin/python"
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\ntests/data/\n' >> .gitignore
mkdir -p tests/data; touch tests/data/.skip-broken
w tests/integration/test_row.py <<'X'
from pathlib import Path
import pytest
def test_row():
    if (Path(__file__).parent.parent / "data/.skip-broken").exists():
        pytest.skip("known broken locally")
    assert False, "a real bug"
X
commit init
clock_row() {  # clock_row LABEL <module body>
  local label=$1; w tests/integration/test_clock.py; commit "clock $label"
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $label: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$label.out" | cut -c1-80) | $(show | grep -m1 -E 'problem' | cut -c1-150)"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
clock_row a <<'X'
import time_machine  # noqa: F401
def test_clock():
    assert True
X
clock_row b <<'X'
from datetime import datetime, timezone
import time_machine
time_machine.travel(datetime(2000, 1, 1, tzinfo=timezone.utc), tick=False).start()
def test_clock():
    assert True
X
if [ -n "$FG" ]; then
clock_row c <<'X'
from freezegun import freeze_time
freeze_time("2000-01-01").start()
def test_clock():
    assert True
X
fi
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a clock travelled at a test module's import moved the workspace cut: the ignored marker lay 'after the cut', the failing test skipped: ready)"
else echo "RESULT: HELD"; fi
