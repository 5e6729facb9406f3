#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A CI helper outside the repository runs the suite with pytest.main(args, plugins=[obj]): the plugin
# object (never on a command line, not an entry point) skips failures whose error is a ConnectionError.
# Expected: incomplete (a plugin the project did not declare), not ready.
base_project
w tests/integration/test_net.py <<'X'
def test_service():
    raise ConnectionError("refused")
X
commit init
cat > "$W/ci_run.py" <<'X'
import sys
import pytest

class SkipNetwork:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        rep = outcome.get_result()
        if rep.failed and call.excinfo is not None and call.excinfo.errisinstance(ConnectionError):
            rep.outcome = "skipped"
            rep.longrepr = (str(item.path), 0, "Skipped: network")

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider"], plugins=[SkipNetwork()]))
X
"$PY" "$W/ci_run.py" > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -2 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: a plugin object passed to pytest.main rewrote a failure)" || echo "RESULT: HELD ($(decision))"
