#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# Verify tiers: "A verify verdict is bound to the commit and tree of the checkout whose tests
# ran"; `unverified` for "a run whose checkout had uncommitted or untracked files" (case 233).
# The tests that run are "the deploying checkout's". C1's smoke test asks only /healthz; C2 (the
# reviewed commit deployed) strengthens it to ask "/" for 200, and C2's version answers 500 on
# "/" once deployed (its CI verdict is ready). `pyramid deploy --commit C2 --verdict <C2's>`:
# (a) from a checkout at C2 [control: the smoke tier fails, stopped before traffic];
# (b) from a clean checkout at C1 (`git checkout C1`: no file edited, nothing untracked).
# Expected (b): unverified (the tests that ran are C1's, not the deployed commit's), stopped.
dproj 18275
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

def test_health(url):
    assert urllib.request.urlopen(url + "/healthz", timeout=5).status == 200
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
C1=$(git rev-parse HEAD)
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18275)"
# C1's smoke tier asks only /healthz; C2 adds "/" (the test above)
"$PY" - <<'X'
s = open("tests/smoke/test_smoke.py").read()
i = s.index("def test_home"); j = s.index("def test_health")
open("tests/smoke/test_smoke.py", "w").write(s[:i] + s[j:])
X
git commit -qam "C1: smoke asks /healthz"; C1=$(git rev-parse HEAD)
git checkout -q HEAD~1 -- tests/smoke/test_smoke.py; echo "bad-2" > VERSION; commit "C2: smoke asks / too; v2"
C2=$(git rev-parse HEAD); verdict_of_head; cp pyramid-verdict.json "$W/v2.json"
B=""
for r in a b; do
  [ $r = b ] && git checkout -q "$C1"
  echo "  ($r) checkout at $(git rev-parse --short HEAD), status: $(git status --porcelain | wc -l) change(s)"
  "$PYR" deploy --commit "$C2" --verdict "$W/v2.json" --redeploy --progress-deadline 3s > "$W/$r.out" 2>&1; e=$?
  echo "      deploy exit=$e: $(grep -m1 -o 'verify tier smoke [a-z]*[^;]*' "$W/$r.out" | head -c 180)"
  echo "      $(tail -1 "$W/$r.out" | head -c 160); serves: $(get 18275)"
  grep -q 'verify tier smoke verified' "$W/$r.out" && B="$B $r"
  "$PYR" abort --wait 30s > /dev/null 2>&1
done
git checkout -q main
cleanup
if [[ "$B" == *a* ]]; then echo "RESULT: VACUOUS (the control was verified)"
elif [ -n "$B" ]; then echo "RESULT: BROKEN (row b: the deployed commit was verified by another commit's tests)"
else echo "RESULT: HELD"; fi
