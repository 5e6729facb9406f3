#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Round 16a, "the whole suite ran": a test function that runs zero times without the project
# saying so. pytest turns an empty parameter set into one automatic skip ("got empty parameter
# set"), which the verdict counts like a skip the project wrote; a tier still "ran" on its
# other tests. Realistic ways to an empty set:
# (a) data-driven cases globbed relative to the working folder (`Path("cases").glob(...)`):
#     the tracked cases live in tests/integration/cases, CI runs pytest from the top, the glob
#     finds nothing; the one case there fails;
# (b) a `pytest_generate_tests` hook parametrizing from a source that came back empty;
# (c) a Hypothesis test whose settings leave only the explicit phase (a "fast PR" profile
#     written as `phases=[Phase.explicit]`) and that has no `@example`: Hypothesis skips it;
# (d) row a under -n 2.
# (z) control: the same cases found (glob relative to the test file): blocked.
# Expected: no row `ready`: a test function on disk that yielded no executed case is named,
# as a refused Test* class or a test function that is a fixture is (or not counted as ran).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n' >> .gitignore
w tests/integration/cases/one.json <<'X'
{"a": 2, "b": 2, "sum": 5}
X
commit init
R() { rm -f pyramid-verdict.json; row "$@"; }
R z <<'X'
import json
from pathlib import Path
import pytest
from mypkg.core import add
CASES = sorted((Path(__file__).parent / "cases").glob("*.json"))
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_case(case):
    c = json.loads(case.read_text())
    assert add(c["a"], c["b"]) == c["sum"]
X
R a <<'X'
import json
from pathlib import Path
import pytest
from mypkg.core import add
CASES = sorted(Path("cases").glob("*.json"))
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_case(case):
    c = json.loads(case.read_text())
    assert add(c["a"], c["b"]) == c["sum"]
X
echo "   (a) pytest said: $(grep -h -m1 -o 'got empty parameter set[^,]*' "$W"/pytest-a.out) $(grep -h -m1 -oE '[0-9]+ skipped' "$W"/pytest-a.out)"
echo "   (a) integration tier: $(jget pyramid-verdict.json tiers.integration | tr -d ' ' | cut -c1-170)"
R b <<'X'
def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", [])   # e.g. rows of a fixture table that came back empty
def test_case(case):
    assert False
X
R c <<'X'
from hypothesis import Phase, given, settings, strategies as st
from mypkg.core import add
@settings(phases=[Phase.explicit])
@given(st.integers(), st.integers())
def test_add_commutes(a, b):
    assert add(a, b) == add(b, a) + 1
X
R d -n 2 <<'X'
import json
from pathlib import Path
import pytest
from mypkg.core import add
CASES = sorted(Path("cases").glob("*.json"))
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_case(case):
    c = json.loads(case.read_text())
    assert add(c["a"], c["b"]) == c["sum"]
X
check
if echo "$BROKEN_ROWS" | grep -qw z; then echo "RESULT: VACUOUS (control row z was ready)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a test function that ran zero cases (pytest's automatic empty-set skip, Hypothesis with no phase to run) is an ordinary skip: ready)"
else echo "RESULT: HELD"; fi
