#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Flaky on arrival (docs/gates.md): an arriving test is repeated before its logged run until it
# has passed 29 times or one attempt fails; a pass and a failure of one test on one tree prove it
# flaky and fail the gate, which "no quarantine entry excuses". The branch adds a test that fails
# one call in three, and lets pytest-rerunfailures (an allowed plugin) hide it: (a) the test
# carries `@pytest.mark.flaky(reruns=5)` (test code), (b) the CI passes `--reruns 5` on the
# command line, (c) (a) under -n 2.
# Expected: the gate fails (a repeat fails, the logged run passes: a contradiction) in every row.
base_project
printf 'pyramid-verdict*\npyramid-results*\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.risk]
base = "main"
X
commit main
git checkout -qb feature
w tests/integration/test_new.py <<'X'
import os, pathlib
import pytest

@pytest.mark.flaky(reruns=5)
def test_flaky():
    counter = pathlib.Path(os.environ["MARKS"]) / "n"
    number = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(number))
    assert number % 3 != 0, "every third call fails"
X
commit new-test
export MARKS="$W/marks"
go() { local label=$1; shift; rm -rf "$MARKS"; mkdir -p "$MARKS"
  "$PY" -m pytest -q -p no:cacheprovider -p no:randomly "$@" > "$W/$label.out" 2>&1
  local g; g=$("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.flaky_on_arrival"]; print(g[0]["status"] if g else None, "|", (g[0]["message"] if g else "")[:150])')
  echo "  ($label) decision=$(decision) calls=$(cat "$MARKS/n") gate: $g"
  [ "$(decision)" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"; }
go a-marker
sed -i 's/^@pytest.mark.flaky(reruns=5)$//' tests/integration/test_new.py; commit no-marker
go b-reruns-option --reruns 5
git revert --no-edit HEAD >/dev/null
go c-marker-xdist -n 2
[ -n "$BROKEN_ROWS" ] && echo "RESULT: BROKEN (ready in rows:$BROKEN_ROWS: a flaky newcomer hidden by reruns)" || echo "RESULT: HELD (no row ready)"
