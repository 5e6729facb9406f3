#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# An untracked conftest.py inside a folder whose name is one of the run-artifact patterns the digest
# leaves out (test-results/, Playwright's output folder): it skips the failing test. Expected: not ready
# (untracked code imported; the tree is dirty or the closed world names it).
base_project
w tests/integration/test_int.py <<'X'
def test_int():
    assert True

def test_broken():
    assert False
X
commit init
w tests/test-results/conftest.py <<'X'
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if item.name == "test_broken":
            item.add_marker(pytest.mark.skip(reason="flaky"))
X
echo "git status: $(git status --short --untracked-files=all | tr '\n' ' ')"
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -5; check
# the expectation above allows a dirty verdict (pyramid check refuses it, as for any untracked
# conftest); since stop 28 the digest no longer leaves test-results/ out, so that is the result
[ "$(decision)" = ready ] && [ "$(jget pyramid-verdict.json dirty)" = false ] && echo "RESULT: BROKEN (false ready: dirty=$(jget pyramid-verdict.json dirty); an untracked conftest under test-results/ skipped the failure)" || echo "RESULT: HELD ($(decision) dirty=$(jget pyramid-verdict.json dirty))"
