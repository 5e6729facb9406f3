#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Flaky on arrival with the flakiness in the new test's own fixture, not its body: (a) the fixture's
# setup raises on the third attempt, (b) its teardown does. The test file is new on the branch; the
# run names the base (--pyramid-diff-base=main).
# Expected: tests.flaky_on_arrival fails in both (a pass and an error among one test's attempts).
base_project
printf 'pyramid-verdict*\npyramid-results*\n' >> .gitignore
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.integration]
budget = "10m"

[tool.pyramid.flaky]
arrival_share = 1.0
X
commit main
git checkout -qb feature
export MARKS="$W/marks"; mkdir -p "$MARKS"
r=HELD
for where in setup teardown; do
w tests/integration/test_new.py <<X
import os, pathlib
import pytest

def _attempt():
    counter = pathlib.Path(os.environ["MARKS"]) / "$where"
    number = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(number))
    return number

@pytest.fixture
def resource():
    if "$where" == "setup":
        assert _attempt() != 3, "setup failed on the third attempt"
    yield 1
    if "$where" == "teardown":
        assert _attempt() != 3, "teardown failed on the third attempt"

def test_new(resource):
    assert resource == 1
X
commit "$where"
"$PY" -m pytest -q -p no:cacheprovider --pyramid-diff-base=main > "$W/pytest.out" 2>&1; e=$?
g=$("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.flaky_on_arrival"]; print(g[0]["status"] if g else None, "|", g[0]["message"][:150] if g else "")')
echo "  $where: pytest exit=$e decision=$(decision) gate: $g"
[ "$(decision)" = ready ] && r="BROKEN (a fixture flaky on arrival passed: $where)"
done
echo "RESULT: $r"
