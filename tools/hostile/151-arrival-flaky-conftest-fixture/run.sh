#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Flaky on arrival, with the change in a fixture of tests/conftest.py: the branch makes an existing
# fixture nondeterministic (fails on the third call); no test file changed. The base is named in the tracked [tool.pyramid.risk] base.
# Expected (by the promise "a test that arrives with a change"): the tests the change reaches are
# repeated, or the gate says it could not tell. By the letter (gates.md: "tests whose file changed
# since the merge base") nothing is repeated.
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
w tests/conftest.py <<'X'
import pytest

@pytest.fixture
def resource():
    return 1
X
w tests/integration/test_res.py <<'X'
def test_res(resource):
    assert resource == 1
X
commit main
git checkout -qb feature
export MARKS="$W/marks"; mkdir -p "$MARKS"
w tests/conftest.py <<'X'
import os, pathlib
import pytest

@pytest.fixture
def resource():
    counter = pathlib.Path(os.environ["MARKS"]) / "n"
    number = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(number))
    assert number != 3, "the third call fails"
    return 1
X
commit flaky-fixture
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
g=$("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.flaky_on_arrival"]; print(g[0]["status"] if g else None, "|", g[0]["message"][:200] if g else "")')
echo "pytest exit=$e decision=$(decision) gate: $g"
[ "$(decision)" = ready ] && echo "RESULT: BROKEN by the promise, HELD by the letter (a fixture made flaky by the change is not repeated: ready)" || echo "RESULT: HELD ($(decision))"
