#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# A quarantine entry lapses on the day after `expires` (UTC), and an expired entry fails
# `tests.quarantine` (block). The day is read from the clock when the gates run - after the
# session, in the same process the tests ran in. A test that freezes the clock and does not
# put it back (a hand-rolled `time.time = lambda: ...`, `mock.patch(...).start()` without
# `stop()`, freezegun's `freeze_time(...).start()` at import: an everyday accident in a suite
# that tests dates) leaves the frozen clock for the gates.
# The tracked quarantine excuses `test_broken` (fails) until 2026-01-01; today is later.
# Rows: (a) control: no clock patch; (b) `time.time = lambda: <2025-06-01>` at a test module's
# import; (c) `mock.patch("time.time", return_value=<2025-06-01>).start()` in a test, never stopped.
# Expected: every row `blocked` (the entry expired; `tests.quarantine` fails).
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
row a <<'X'
def test_row():
    assert True
X
row b <<'X'
import time
time.time = lambda: 1748736000.0  # 2025-06-01, "frozen" for the dates under test

def test_row():
    assert time.time() == 1748736000.0
X
row c <<'X'
from unittest import mock

def test_row():
    mock.patch("time.time", return_value=1748736000.0).start()
    import time
    assert time.time() == 1748736000.0
X
for l in a b c; do :; done
"$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x.get("id")=="tests.quarantine"]; print("last row: tests.quarantine:", g and (g[0].get("status"), g[0].get("message","")[:160]), "| created_at:", v.get("created_at"))'
if echo "$BROKEN_ROWS" | grep -qw a; then echo "RESULT: VACUOUS (control row a was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a test's frozen clock kept an expired quarantine entry alive: ready)"
else echo "RESULT: HELD"; fi
