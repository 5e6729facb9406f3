#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# The tracked tests/conftest.py optionally imports developer/CI-local fixture overrides from a git-ignored
# module (tests/_local_overrides.py: "put your local settings here", listed in .gitignore). The ignored
# module overrides the `adder` fixture with a fake, so the tests no longer exercise mypkg.
# Expected: an ignored file shaped the run -> incomplete ("a configuration file or conftest that git ignores").
base_project
echo "tests/_local_overrides.py" >> .gitignore
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

try:  # optional local overrides (git-ignored)
    from tests._local_overrides import *  # noqa: F401,F403
except ImportError:
    pass
X
touch tests/__init__.py
w tests/unit/test_core.py <<'X'
def test_add(adder):
    assert adder(1, 2) == 3
X
w tests/integration/test_int.py <<'X'
def test_int(adder):
    assert adder(2, 2) == 4
X
commit init
echo "--- control:"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
w tests/_local_overrides.py <<'X'
import pytest

@pytest.fixture
def adder():
    return lambda a, b: a + b
X
echo "git status: [$(git status --porcelain)]"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | grep -v "tier \(contract\|e2e\|perf\|secu\)"; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
