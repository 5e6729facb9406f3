#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A plugin the project never declared is installed in the CI image (a "skip on network error" helper):
# it turns a failing test whose error is a ConnectionError into a skip. Nothing on the command line, no
# variable: it is autoloaded by its pytest11 entry point. Expected: not ready (the failure is real;
# the promise lists "plugins ... the project did not declare ... rewrite tests or reports").
base_project
w tests/integration/test_net.py <<'X'
def test_service():
    raise ConnectionError("payment service refused the connection")
X
commit init
fake_venv "$W/venv"
cat > "$SP/pytest_skipnet.py" <<'X'
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.excinfo is not None and call.excinfo.errisinstance(ConnectionError):
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), 0, "Skipped: network unavailable")
X
mkdir -p "$SP/pytest_skipnet-1.0.dist-info"
printf 'Metadata-Version: 2.1\nName: pytest-skipnet\nVersion: 1.0\n' > "$SP/pytest_skipnet-1.0.dist-info/METADATA"
printf '[pytest11]\nskipnet = pytest_skipnet\n' > "$SP/pytest_skipnet-1.0.dist-info/entry_points.txt"
"$PY" -m pytest -q -p no:cacheprovider > "$W/honest.out" 2>&1; echo "honest (tool env): $(decision)"
"$W/venv/bin/python" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: an undeclared installed plugin turned a failure into a skip)" || echo "RESULT: HELD ($(decision))"
