#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# Verify tiers (docs/deploy.md): "The tests that run are the deploying checkout's"; the deploy
# reads that run's own verdict, and only `verified` lets the rollout go on; "a closed-world or
# invocation problem" is `unverified`. Tracked `[tool.pyramid.deploy.verify] tier = "smoke"`
# (pre-traffic); the tracked smoke test asserts the new version answers 200 on "/". v2 answers
# 500 once deployed (not in CI's run: its verdict is ready). The attacker controls the deploying
# checkout's files, not the commit: (a) plain [control: stopped]; (b) the smoke test edited in
# the working tree (uncommitted) to pass; (c) an untracked tests/smoke/conftest.py that marks
# every smoke test passed (a hookwrapper rewriting reports).
# Expected: (b), (c) unverified (the run did not test the commit's tests), the rollout stopped.
# (Clients keep coming: a rollout that passes the verify tier is still rolled back by the
# analysis; the row is judged by the verify tier's outcome.)
dproj 18233
w tests/smoke/test_smoke.py <<'X'
import os, socket, subprocess, sys, time, urllib.error, urllib.request
import pytest

@pytest.fixture
def url(request):
    target = request.config.getoption("--pyramid-target", default=None)
    if target:
        yield target.rstrip("/")
        return
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    p = subprocess.Popen([sys.executable, "app.py", str(port)])
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1); break
        except Exception:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    p.kill(); p.wait()

def test_home(url):
    try:
        code = urllib.request.urlopen(url + "/", timeout=5).status
    except urllib.error.HTTPError as e:
        code = e.code
    assert code == 200
X
cat >> pyproject.toml <<'X'

[tool.pyramid.tiers.smoke]
paths = ["tests/smoke/**"]

[tool.pyramid.deploy.verify]
tier = "smoke"
when = ["pre-traffic"]
timeout = "1m"
X
# v2 fails only as a deployed version (its PYRAMID_RELEASE environment): the run in CI passes
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace('code = 500 if BODY.startswith("bad") and', 'code = 500 if BODY.startswith("bad") and os.environ.get("PYRAMID_RELEASE") and')
open("app.py", "w").write(s)
X
commit "smoke tier"; verdict_of_head
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18233)"
load_start 18233
B=""
for r in a b c; do
  git checkout -q -- tests/smoke/test_smoke.py; rm -f tests/smoke/conftest.py
  echo "bad-2$r" > VERSION; commit "v2$r"
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest-$r.out" 2>&1; echo "  ($r) v2's verdict: $(decision)"
  [ $r = b ] && "$PY" - <<'X'
s = open("tests/smoke/test_smoke.py").read()
open("tests/smoke/test_smoke.py", "w").write(s.replace("assert code == 200", "assert code"))
X
  [ $r = c ] && w tests/smoke/conftest.py <<'X'
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.outcome = "passed"
X
  "$PYR" deploy --redeploy > "$W/$r.out" 2>&1; e=$?
  v=$(grep -m1 'verify tier smoke' "$W/$r.out" | grep -o 'verified\|unverified\|failed' | head -1)
  echo "      deploy exit=$e verify: ${v:-none} | $(grep '^\[deploy\] #[0-9]* ' "$W/$r.out" | tail -1 | head -c 120)"
  [ $r != a ] && [ "$v" = verified ] && B="$B $r"
  [ $r = a ] && [ "$v" = verified ] && echo "      (control verified: vacuous)"
done
git checkout -q -- tests/smoke/test_smoke.py; rm -f tests/smoke/conftest.py
load_stop; cleanup
[ -n "$B" ] && echo "RESULT: BROKEN (rows$B: the verify tier vouched for v2 with tests the commit does not hold)" || echo "RESULT: HELD"
