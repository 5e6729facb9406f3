#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a canary judged healthy when its users were failed. docs/deploy.md, Analysis: "A
# request is a success only when it is known to be one: a 2xx/3xx answer delivered whole";
# 4xx are judged against stable's share (hostile case 370), 3xx are successes whatever their
# share. The commonest broken release of a web service logs everybody out: a rotated session
# secret, a broken cookie domain, an auth middleware misconfigured. Every page answers
# "302 Found, Location: /login", and /login answers 200 with the sign-in form. Users get
# nothing but the sign-in page, again and again; every line nginx logs is a 3xx or a 200.
# (a) [control] v2 answers 500 to every user request: rolled back;
# (b) v3 answers 302 -> /login to every request but /login and /healthz (clients follow it,
#     as browsers do).
# Expected (b): rolled back, or at least never `succeeded` (a 3xx share far above stable's is
# the release's doing, as a 4xx share is).
dproj 18421 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("    def do_GET(self):\n",
              "    def do_GET(self):\n"
              "        if BODY.startswith('logout') and self.path not in ('/healthz', '/login'):\n"
              "            self.send_response(302); self.send_header('Location', '/login'); self.send_header('Content-Length', '0'); self.end_headers(); return\n"
              "        if self.path == '/login':\n"
              "            data = b'please sign in\\n'\n"
              "            self.send_response(200); self.send_header('Content-Length', str(len(data))); self.end_headers(); self.wfile.write(data); return\n")
open("app.py", "w").write(s)
X
commit "a sign-in page"; verdict_of_head > /dev/null
rm -f "$W/load.stop"
"$PY" - 18421 "$W/load.stop" > "$W/load.out" 2>&1 <<'X' &
import os, sys, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
n = {}
while not os.path.exists(stop):
    try: k = urllib.request.urlopen(f"http://127.0.0.1:{port}/account", timeout=5).read().decode().strip()
    except Exception as e: k = f"{getattr(e, 'code', type(e).__name__)}"
    k = "sign-in page" if "sign in" in k else "their page" if k.startswith("version") else k
    n[k] = n.get(k, 0) + 1
    time.sleep(0.02)
print("clients got:", n)
X
LOAD_PID=$!
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 (500 to users) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
echo "logout-3" > VERSION; commit v3; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 (302 -> /login for everyone) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m2 'measurement' "$W/d3.out" | cut -c1-170 | sed 's/^/      /'
sleep 1; load_stop; echo "      $(cat "$W/load.out")"
echo "      split log statuses: $(cut -d'|' -f2 .pyramid/deploy/router/split/logs/access.log 2>/dev/null | sort | uniq -c | tr '\n' ' ')"
echo "      the public port now answers /account: $(get 18421)"
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a release sending every user to the sign-in page was promoted: 3xx count as successes whatever their share)"
else echo "RESULT: HELD"; fi
