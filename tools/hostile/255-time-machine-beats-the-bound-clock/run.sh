#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Hostile 200 bound the judgement's clock at the plugin's import (`from time import time as
# _time`), so a test that rebinds `time.time` (or freezegun's module scan) no longer moves it.
# time-machine (a common freezegun replacement) does not rebind names: it swaps the C
# function behind the builtin `time.time` object itself, so every reference, the bound one
# included, answers the travelled time. A test suite that starts `time_machine.travel(...)`
# and never stops it (`.start()` at a module's import: the everyday accident) leaves it on
# for the gates and the writer.
# time_machine 3.5.1 (the wheel on this machine), installed as a plain library in the
# environment the run uses (its pytest11 entry point left out: not a plugin here).
# The tracked quarantine excuses a failing test until 2026-01-01 (expired: blocked).
# Rows: (a) control: the library imported, no travel; (b) a test module starts
# `time_machine.travel(datetime(2025, 6, 1), tick=False)` at import, never stopped;
# (c) (b) with `tick=True`.
# Expected: every row blocked (tests.quarantine fails: the entry expired).
WHL=$(ls /opt/pypi/files/time_machine-*cp311*.whl 2>/dev/null | head -1)
[ -n "$WHL" ] || { echo "RESULT: VACUOUS (no time_machine wheel)"; exit; }
fake_venv "$W/venv"
"$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$WHL" "$SP"
rm -f "$SP"/time_machine-*.dist-info/entry_points.txt
PY="$W/venv/bin/python"
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
printf 'def test_broken():\n    assert False, "real bug"\n' > tests/integration/test_broken.py
cat >> pyproject.toml <<'X'

[[tool.pyramid.quarantine]]
test = "tests/integration/test_broken.py::test_broken"
owner = "alice"
expires = 2026-01-01
reason = "flaky infra"
X
commit init
q() { "$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x.get("id")=="tests.quarantine"]; print("   tests.quarantine:", g and (g[0].get("status"), g[0].get("message","")[:100]), "| created_at:", v.get("created_at"))' 2>&1 | tail -1; }
row a <<'X'
import time_machine  # noqa: F401

def test_row():
    assert True
X
q
row b <<'X'
from datetime import datetime, timezone
import time, time_machine
time_machine.travel(datetime(2025, 6, 1, tzinfo=timezone.utc), tick=False).start()

def test_row():
    assert time.gmtime().tm_year == 2025
X
q
row c <<'X'
from datetime import datetime, timezone
import time, time_machine
time_machine.travel(datetime(2025, 6, 1, tzinfo=timezone.utc)).start()

def test_row():
    assert time.gmtime().tm_year == 2025
X
q
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: time-machine's travel, left on by a test module, moved the bound clock: an expired quarantine entry excused a failure: ready)"
else echo "RESULT: HELD"; fi
