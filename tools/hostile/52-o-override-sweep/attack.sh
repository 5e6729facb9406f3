#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# `-o` overrides are flagged "except output-only settings and ones that only make a run stricter".
# Sweep of -o keys that RELAX or change outcomes: usefixtures (a tracked offline-stub fixture that
# monkeypatches the broken code), xfail_strict=false (project sets it true), empty_parameter_set_mark.
# Expected: each -> incomplete (never ready).
base_project
w pyproject.toml <<'X'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
xfail_strict = true

[tool.pyramid]
source = ["mypkg"]
X
w mypkg/core.py <<'X'
def add(a, b):
    return a - b  # BUG
X
w tests/conftest.py <<'X'
import pytest

@pytest.fixture
def offline_stub(monkeypatch):
    import mypkg.core
    monkeypatch.setattr(mypkg.core, "add", lambda a, b: a + b)
X
w tests/unit/test_core.py <<'X'
import mypkg.core

def test_add():
    assert mypkg.core.add(1, 2) == 3
X
w tests/integration/test_int.py <<'X'
import pytest, mypkg.core

@pytest.mark.xfail(reason="known bug #12, fixed upstream")
def test_known():
    assert True   # now passes: XPASS(strict) fails the run under the project's xfail_strict = true

def test_other():
    assert mypkg.core.add(2, 0) == 2
X
commit init
R=""
for o in "-o usefixtures=offline_stub" "-o xfail_strict=false" "-o usefixtures=offline_stub -o xfail_strict=false"; do
  "$PY" -m pytest -q -p no:cacheprovider $o > "$W/pytest.out" 2>&1; ex=$?
  d=$(decision); echo "[$o] pytest exit=$ex decision=$d reasons=$(jget pyramid-verdict.json reasons | head -c 250)"
  [ "$d" = ready ] && R="$R [$o]"
done
[ -n "$R" ] && echo "RESULT: FALSE-READY with$R" || echo "RESULT: HELD"
