#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The CI user's global gitignore (core.excludesFile in ~/.gitconfig, not the project's .gitignore)
# lists tests/unit/conftest.py. An untracked conftest there overrides the fixture the tests use.
# Expected: "a conftest that git ignores shaped the run" -> incomplete (or dirty, since it is untracked).
base_project
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
w tests/conftest.py <<'X'
import pytest
from mypkg.core import add

@pytest.fixture
def adder():
    return add
X
w tests/unit/test_core.py <<'X'
def test_add(adder):
    assert adder(1, 2) == 3
X
w tests/integration/test_int.py <<'X'
def test_int():
    pass
X
commit init
printf 'tests/unit/conftest.py\n' > "$HOME/global-ignore"; git config --global core.excludesFile "$HOME/global-ignore"
w tests/unit/conftest.py <<'X'
import pytest

@pytest.fixture
def adder():
    return lambda a, b: a + b
X
echo "git status: [$(git status --porcelain | tr '\n' ' ')]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
