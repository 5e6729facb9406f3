#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# xdist workers started with another interpreter: --tx 2*popen//python=VENV/bin/python, where that
# environment has an undeclared plugin (80's skip-on-ConnectionError). Expected: incomplete (gateway spec).
base_project
w tests/integration/test_net.py <<'X'
def test_service():
    raise ConnectionError("refused")
X
commit init
fake_venv "$W/venv"
printf 'def pytest_runtest_makereport(item, call):\n    pass\n' > /dev/null
cat > "$SP/conftest_free_plugin.py" <<'X'
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.excinfo is not None and call.excinfo.errisinstance(ConnectionError):
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), 0, "Skipped: network")
X
mkdir -p "$SP/skipnet-1.0.dist-info"; printf 'Metadata-Version: 2.1\nName: skipnet\nVersion: 1.0\n' > "$SP/skipnet-1.0.dist-info/METADATA"
printf '[pytest11]\nskipnet = conftest_free_plugin\n' > "$SP/skipnet-1.0.dist-info/entry_points.txt"
"$PY" -m pytest -q -p no:cacheprovider --dist load --tx "2*popen//python=$W/venv/bin/python" > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -3 "$W/pytest.out"
show | head -4
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: workers ran under another interpreter)" || echo "RESULT: HELD ($(decision))"
