#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# An environment plugin the project did not declare (PYTEST_PLUGINS=ci_quarantine, found on PYTHONPATH
# outside the project - a CI image's "quarantine" helper) drops known-bad test functions at the
# python collector level (pytest_pycollect_makeitem), so they never appear in any collect report.
# Expected: incomplete (a plugin not the project's changed what runs / a test on disk vanished).
base_project
w tests/unit/test_core.py <<'X'
from mypkg.core import add

def test_add():
    assert add(1, 2) == 3

def test_add_negative():
    assert add(-1, -1) == 0, "broken"
X
commit init
mkdir -p "$W/envplug"; cat > "$W/envplug/ci_quarantine.py" <<'X'
import pytest
QUARANTINE = {"test_add_negative"}

@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector, name, obj):
    if name in QUARANTINE:
        return []
X
echo "--- control:"; "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest0.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
echo "--- with PYTEST_PLUGINS:"
PYTHONPATH="$W/envplug" PYTEST_PLUGINS=ci_quarantine "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
