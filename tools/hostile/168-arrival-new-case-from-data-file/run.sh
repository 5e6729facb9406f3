#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# Flaky on arrival for a data-driven test: `tests/integration/test_cases.py` (unchanged) is
# parametrised from the tracked `tests/integration/cases.json`. The branch adds one case to the JSON
# only; the new case is flaky (fails on its third call). The base is named in the tracked
# [tool.pyramid.risk] base.
# Expected: the new test `test_case[new]` arrives with the change (it did not exist at the base) and
# is repeated, so its flake blocks; or the gate says it could not tell.
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
printf '["old"]\n' > tests/integration/cases.json
w tests/integration/test_cases.py <<'X'
import json, os, pathlib
import pytest

CASES = json.loads((pathlib.Path(__file__).parent / "cases.json").read_text())

@pytest.mark.parametrize("name", CASES)
def test_case(name):
    if name == "new":
        counter = pathlib.Path(os.environ["MARKS"]) / "n"
        number = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(number))
        assert number != 3, "the third call fails"
X
commit main
git checkout -qb feature
printf '["old", "new"]\n' > tests/integration/cases.json
commit new-case
export MARKS="$W/marks"; mkdir -p "$MARKS"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; e=$?
g=$("$PY" -c 'import json; v=json.load(open("pyramid-verdict.json")); g=[x for x in v["gates"] if x["id"]=="tests.flaky_on_arrival"]; print(g[0]["status"] if g else None, "|", g[0]["message"][:160] if g else "")')
echo "pytest exit=$e decision=$(decision) calls of the new case: $(cat "$MARKS/n") gate: $g"
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (a new test case added through a tracked data file is not repeated: ready)" || echo "RESULT: HELD ($(decision))"
