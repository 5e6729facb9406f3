#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# 151's flaky fixture, moved out of conftest.py into the fixture modules projects actually use:
# (a) a fixture plugin module `tests/fixtures/db.py` that the tracked `tests/conftest.py` loads with
# `pytest_plugins = ["tests.fixtures.db"]`; (b) a helper module `tests/helpers.py` the test file
# imports. The branch makes the fixture/helper fail on its 3rd call; no test file and no conftest
# changed. The base is named in the tracked [tool.pyramid.risk] base.
# Expected (151's principle: "a fixture a change made flaky makes its tests flaky"): the tests the
# changed file reaches arrive and are repeated, so the flake blocks (or the gate says it could not tell).
base_project
printf 'pyramid-verdict*\npyramid-results*\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.integration]
budget = "10m"

[tool.pyramid.risk]
base = "main"

[tool.pyramid.flaky]
arrival_share = 1.0
X
touch tests/__init__.py tests/fixtures/__init__.py 2>/dev/null || { mkdir -p tests/fixtures; touch tests/__init__.py tests/fixtures/__init__.py tests/unit/__init__.py tests/integration/__init__.py; }
printf 'pytest_plugins = ["tests.fixtures.db"]\n' > tests/conftest.py
w tests/fixtures/db.py <<'X'
import pytest

@pytest.fixture
def resource():
    return 1
X
w tests/helpers.py <<'X'
def value():
    return 1
X
w tests/integration/test_res.py <<'X'
from tests.helpers import value

def test_res(resource):
    assert resource == 1

def test_helper():
    assert value() == 1
X
commit main
git checkout -qb feature
export MARKS="$W/marks"
FLAKY='    import os, pathlib
    counter = pathlib.Path(os.environ["MARKS"]) / "n"
    number = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(number))
    assert number != 3, "the third call fails"'
r=HELD
for how in a b; do
  git checkout -q main -- tests; rm -rf "$MARKS"; mkdir -p "$MARKS"
  if [ $how = a ]; then
    printf 'import pytest\n\n@pytest.fixture\ndef resource():\n%s\n    return 1\n' "$FLAKY" > tests/fixtures/db.py
  else
    printf 'def value():\n%s\n    return 1\n' "$FLAKY" > tests/helpers.py
  fi
  commit "flaky-$how"
  rm -f pyramid-verdict.json
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
  g=$("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.flaky_on_arrival"]; print(g[0]["status"] if g else None, "|", g[0]["message"][:160] if g else "")')
  echo "  ($how) pytest exit=$e decision=$(decision) gate: $g"
  [ "$(decision)" = ready ] && r="BROKEN (false ready in row $how: a fixture/helper module the change made flaky is not repeated)"
done
echo "RESULT: $r"
