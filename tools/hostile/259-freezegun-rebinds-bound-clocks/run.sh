#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Hostile 200 bound the judgement's clock at import (`durations.py: from time import time as
# _time`; its comment says this defends against "freezegun started at import"). freezegun's
# start() does not only patch the `time` module: it walks sys.modules and replaces every
# module attribute that *is* the real time.time / perf_counter / monotonic (except its short
# ignore list: `_pytest.runner.`, `_pytest.terminal.`, ...). `pytest_pyramid.durations._time`
# and `_pytest.timing.time` / `.perf_counter` (the reports' start, stop and duration) are such
# attributes. A suite that starts `freeze_time(...)` at a module's import and never stops it is
# the everyday accident.
# freezegun 1.5.5 (pip download from the registry), a plain library in the run's environment.
# Rows: (a) control: quarantine entry expired 2026-01-01 for a failing test, freezegun imported
# only -> blocked; (b) `freeze_time("2025-06-01").start()` at a test module's import;
# (c) no quarantine; integration budget "1s" and a test sleeping 1.5 s -> blocked (budget);
# (d) (c) with `freeze_time("2026-12-01").start()` (tick=False) at import.
# Expected: every row blocked.
WHL=$(ls "$HERE"/freezegun-*.whl /tmp/hostile9a-dl/freezegun-*.whl 2>/dev/null | head -1)
if [ -z "$WHL" ]; then mkdir -p "$W/dl"; "$PY" -m pip download -q --no-deps freezegun==1.5.5 -d "$W/dl" >/dev/null 2>&1; WHL=$(ls "$W"/dl/freezegun-*.whl 2>/dev/null | head -1); fi
[ -n "$WHL" ] || { echo "RESULT: VACUOUS (no freezegun wheel)"; exit; }
"$PY" -c 'import dateutil' 2>/dev/null || { echo "RESULT: VACUOUS (no python-dateutil)"; exit; }
fake_venv "$W/venv"
"$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$WHL" "$SP"
PY="$W/venv/bin/python"
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
printf 'def test_broken():\n    assert False, "real bug"\n' > tests/integration/test_broken.py
cp pyproject.toml "$W/plain.toml"
cat >> pyproject.toml <<'X'

[[tool.pyramid.quarantine]]
test = "tests/integration/test_broken.py::test_broken"
owner = "alice"
expires = 2026-01-01
reason = "flaky infra"
X
commit init
g() { "$PY" -c 'import json,sys; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x.get("id")==sys.argv[1]]; print("   %s:" % sys.argv[1], g and (g[0].get("status"), g[0].get("message","")[:110]), "| created_at:", v.get("created_at"))' "$1" 2>&1 | tail -1; }
row a <<'X'
import freezegun  # noqa: F401

def test_row():
    assert True
X
g tests.quarantine
row b <<'X'
import time
from freezegun import freeze_time
freeze_time("2025-06-01").start()

def test_row():
    assert time.gmtime().tm_year == 2025
X
g tests.quarantine
rm tests/integration/test_broken.py; cp "$W/plain.toml" pyproject.toml
cat >> pyproject.toml <<'X'
budget_level = "block"

[tool.pyramid.tiers.integration]
budget = "1s"
X
row c <<'X'
import time

def test_row():
    time.sleep(1.5)
X
g budget.integration
row d <<'X'
import time
from freezegun import freeze_time
freeze_time("2026-12-01").start()

def test_row():
    time.sleep(1.5)
X
g budget.integration
if echo "$BROKEN_ROWS" | grep -qwE 'a|c'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: freezegun started at import rebinds the clocks bound at import (the judgement's, pytest's report timing): ready)"
else echo "RESULT: HELD"; fi
