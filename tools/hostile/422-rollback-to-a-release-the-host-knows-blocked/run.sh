#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a release deployed or kept that the verdict/host should have refused. docs/deploy.md,
# The gate: "the newest evidence about a commit on this host decides" (hostile case 338): a
# newer verdict for a commit, perhaps `blocked`, supersedes the older `ready` one, and the gate
# refuses it. Rollback: "`pyramid rollback` ... returns all traffic to the version that completed
# a deploy before the current one ... No new verdict is needed: it is the release that was
# running" (service.py: previous_from_history / _last_release ask the history's outcome only);
# the post-bake watch's `rollback` policy takes the same road on its own.
# Story: v1 is deployed. The payment sandbox it integrates with moves to API 2; the nightly run
# of the serving commit v1 fails its integration tier (blocked), and the host's gate sees that
# verdict. v2 adapts to API 2 and is deployed. Then the on-call runs `pyramid rollback` (v2
# misbehaves, say): back to v1, the release the host's newest evidence says is blocked.
# (a) [control] the gate refuses v1 with its old `ready` verdict: superseded by the blocked one;
# (b) `pyramid rollback --by oncall` after v2.
# Expected (b): refused, or rolled back past v1 to a release still vouched for, or at least
# said: v1's newest verdict is blocked. BROKEN: v1 serves again, unsaid.
dproj 18422 > /dev/null
echo "api 1" > "$W/api"
rm -f "$W/sandbox.stop"
"$PY" - "$W/api" <<'X' > /dev/null 2>&1 &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = open(sys.argv[1]).read().encode()
        self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", 18439), H).serve_forever(poll_interval=0.1)
X
SANDBOX_PID=$!
w tests/integration/test_sandbox.py <<'X'
import urllib.request

SPEAKS = "api 1"

def test_payment_sandbox_speaks_our_api():
    got = urllib.request.urlopen("http://127.0.0.1:18439/version", timeout=5).read().decode().strip()
    assert got == SPEAKS
X
sleep 0.5
commit "v1 against the payment sandbox"; echo "  v1 $(verdict_of_head)"
V1=$(git rev-parse HEAD); cp pyramid-verdict.json "$W/v1-ready.json"
load_start 18422
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "api 2" > "$W/api"
echo "  nightly run of the serving commit v1: $(verdict_of_head)"
"$PYR" deploy --dry-run --redeploy > "$W/d1n.out" 2>&1; echo "      its gate: exit=$? $(grep -m1 'refused\|  - ' "$W/d1n.out" | cut -c1-150)"
sed -i 's/^SPEAKS = "api 1"/SPEAKS = "api 2"/' tests/integration/test_sandbox.py
echo "good-2" > VERSION; commit "v2: payment API 2"; echo "  v2 $(verdict_of_head)"
"$PYR" deploy > "$W/d2.out" 2>&1; echo "  v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
"$PYR" deploy --commit "$V1" --verdict "$W/v1-ready.json" --dry-run > "$W/da.out" 2>&1; a=$?
echo "  (a) gate of v1 with its old ready verdict: exit=$a $(grep -m2 '  - \|refused' "$W/da.out" | tail -1 | cut -c1-170)"
"$PYR" rollback --by oncall > "$W/rb.out" 2>&1; b=$?
echo "  (b) pyramid rollback exit=$b $(last_row .pyramid/deploy/history.sqlite)"
sed "s|$HERE||g" "$W/rb.out" | grep -i 'blocked\|supersed\|verdict ' | head -3 | sed 's/^/      said: /'
now=$(get 18422)
echo "      the public port now answers: $now"
load_stop; kill "$SANDBOX_PID" 2>/dev/null
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control: the gate took v1's superseded verdict)"
elif [ $b = 0 ] && [ "$now" = "version good-1" ] && ! sed "s|$HERE||g" "$W/rb.out" | grep -qi 'blocked\|supersed'; then
  echo "RESULT: BROKEN (row b: pyramid rollback put back v1, whose newest verdict on this host is blocked, and did not say so)"
else echo "RESULT: HELD"; fi
