#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a canary judged healthy while its users were failed; trust taken from the commit.
# docs/deploy.md, Analysis: "Requests to the deploy's own probe paths (health_path,
# smoke_paths) are not user traffic in any window" (hostile case 372). deploy/analysis.py:
# probe_paths leaves out every logged request whose $uri is one of those paths: any method,
# any query, whoever sent it. smoke_paths is "only the tracked value" and not one of
# ANCHORED_LIMITS, so the commit being judged chooses which user paths are never judged. A team
# adds its main pages to smoke_paths ("smoke-test the order page before traffic"): the deploy's
# smoke is a GET; users POST their orders to the same path.
# Load: clients GET /items and POST /order (about half each).
# (a) [control] v2 answers 500 to every POST /order (GET /order, the form, is fine): rolled back;
# (b) v3, the same bug, in a commit that also sets smoke_paths = ["/healthz", "/order"].
# Expected (b): rolled back (the users' failed orders are user traffic, whatever the path).
dproj 18420 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("    def log_message(self, *a): pass\n",
              "    def do_POST(self):\n"
              "        n = int(self.headers.get('Content-Length') or 0); self.rfile.read(n)\n"
              "        code = 500 if BODY.startswith('bad') and self.path == '/order' else 200\n"
              "        data = ('order taken by ' + BODY + '\\n').encode()\n"
              "        self.send_response(code); self.send_header('Content-Length', str(len(data))); self.end_headers()\n"
              "        self.wfile.write(data)\n"
              "    def log_message(self, *a): pass\n")
# the dproj app answers 500 to every GET of a "bad" version: here only POST /order breaks
s = s.replace('code = 500 if BODY.startswith("bad") and self.path != "/healthz" else 200', 'code = 200')
open("app.py", "w").write(s)
X
commit "orders are POSTed"; verdict_of_head > /dev/null
rm -f "$W/load.stop"
"$PY" - 18420 "$W/load.stop" > "$W/load.out" 2>&1 <<'X' &
import os, sys, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
n = {}
while not os.path.exists(stop):
    for path, data in (("/items", None), ("/order", b"item=1")):
        try: urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", data=data, timeout=5).read(); k = f"{path} ok"
        except Exception as e: k = f"{path} {getattr(e, 'code', type(e).__name__)}"
        n[k] = n.get(k, 0) + 1
    time.sleep(0.02)
print("clients got:", n)
X
LOAD_PID=$!
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 (POST /order 500) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-3" > VERSION
sed -i 's|^steps = \[50, 100\]$|steps = [50, 100]\nsmoke_paths = ["/healthz", "/order"]|' pyproject.toml
commit "v3: smoke-test the order page"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 (same bug, smoke_paths names /order) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m3 'measurement\|smoke' "$W/d3.out" | cut -c1-170 | sed 's/^/      /'
sleep 1; load_stop; echo "      $(cat "$W/load.out")"
echo "      split log, POST /order by status: $(grep '|POST|/order' .pyramid/deploy/router/split/logs/access.log 2>/dev/null | cut -d'|' -f2 | sort | uniq -c | tr '\n' ' ')"
echo "      the public port now answers POST /order: $("$PY" -c 'import urllib.request
try: urllib.request.urlopen("http://127.0.0.1:18420/order", data=b"x", timeout=5); print(200)
except Exception as e: print(getattr(e, "code", e))')"
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a release failing every user's POST /order was promoted: the commit named /order a smoke path, and every request to a probe path is left out of the analysis)"
else echo "RESULT: HELD"; fi
