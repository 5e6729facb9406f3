#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a bad release reaching users it should not. docs/deploy.md, Analysis: a 4xx is
# judged against stable's 4xx share: the canary fails only when its share "exceeds stable's by
# more than 5 points and more than 3 standard errors of the difference"; the watch's absolute
# rule allows 20%. A 5xx counts against error_rate_limit (0.5%). The commonest broken release
# of an API: a route renamed or dropped by accident (a router refactor, a lost blueprint
# registration): every request to it is a 404 from the new version, a request stable
# answered. One endpoint in twelve of the traffic (8%: the checkout, the login) is gone.
# (a) [control] v2 answers 500 on /checkout (8% of requests): rolled back (8% > 0.5%);
# (b) v3 answers 404 on /checkout, where stable answers 200.
# Expected (b): rolled back: a share of 4xx the stable version does not give, on a path it
# serves, is the release's doing, as surely as the 500s of (a).
dproj 18464 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("    def do_GET(self):\n",
              "    def do_GET(self):\n"
              "        if self.path == '/checkout' and BODY.split('-')[0] in ('gone', 'err'):\n"
              "            code = 404 if BODY.startswith('gone') else 500\n"
              "            self.send_response(code); self.send_header('Content-Length', '0'); self.end_headers(); return\n")
open("app.py", "w").write(s)
X
sed -i 's/^interval = .*/interval = "2s"/; s/^measurements = .*/measurements = 2/; s/^min_requests = .*/min_requests = 20/; s/^steps = .*/steps = [50, 100]/' pyproject.toml
commit "a checkout route"; verdict_of_head > /dev/null
rm -f "$W/load.stop"
"$PY" - 18464 "$W/load.stop" > "$W/load.out" 2>&1 <<'X' &
import os, sys, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
n, i = {}, 0
while not os.path.exists(stop):
    i += 1
    path = "/checkout" if i % 12 == 0 else "/"
    try: code = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).status
    except Exception as e: code = getattr(e, "code", type(e).__name__)
    n[(path, code)] = n.get((path, code), 0) + 1
    time.sleep(0.02)
print("clients got:", n)
X
LOAD_PID=$!
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "err-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 (500 on /checkout) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
echo "gone-3" > VERSION; commit v3; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 (404 on /checkout) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m3 'measurement' "$W/d3.out" | cut -c1-200 | sed 's/^/      /'
sleep 1; load_stop; echo "      $(cat "$W/load.out")"
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was promoted)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a release answering 404 to every request of a route stable serves (8% of traffic) was promoted: the 4xx margin is 5 points and 3 standard errors, a 5xx margin is 0.5%)"
else echo "RESULT: HELD"; fi
