#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# unit tier has a hard per-test limit of 1s. A test's retry loop uses a bare `except:` and so swallows
# pytest-timeout's Failed exception, keeps going and passes after 3 s.
# Expected: the limit was exceeded -> the test must not count as passed (not ready).
base_project
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.unit]
test_timeout = "1s"
X
w tests/unit/test_slow.py <<'X'
import time

def poll():
    time.sleep(0.5)
    return True

def test_retry_loop():
    t0 = time.monotonic()
    ok = False
    while time.monotonic() - t0 < 3.0:
        try:
            poll()
        except:  # noqa: E722  (swallows everything, including the timeout)
            pass
    ok = True
    assert ok
X
commit init
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -6 "$W/pytest.out"
show; check
echo "unit test_timeout_s=$(jget pyramid-verdict.json tiers.unit.test_timeout_s) slowest=$(jget pyramid-verdict.json tiers.unit.slowest.0)"
[ "$(decision)" = ready ] && echo "RESULT: FALSE-READY" || echo "RESULT: HELD"
