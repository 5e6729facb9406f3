#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "Errors are 5xx answers, connection failures and **time-outs**: `request_timeout` (10s) is
# nginx's proxy_read_timeout to a version, and a version that hangs produces 504 lines, counted
# as errors"; "Missing or malformed data is not_evaluated/incomplete, never a pass".
# Clients of a real service give up long before 10 s (a browser's fetch, a mobile app, another
# service's 1 s budget): nginx then logs 499 (client closed) for a request the version never
# answered. The tracked table keeps request_timeout at its default (10s) and p95_limit "2s" (a
# report-heavy app). v2 hangs on every user request (its health check is fine).
# Clients with a 1 s time-out keep coming. (a) v2 canary, steps [50, 100].
# Expected: rolled back (every request v2 got went unanswered); never succeeded.
dproj 18336 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("    def do_GET(self):\n", "    def do_GET(self):\n        if BODY.startswith('hang') and self.path != '/healthz':\n            import time; time.sleep(30)\n")
s = s.replace('[tool.pyramid.deploy]', '[tool.pyramid.deploy]')
open("app.py", "w").write(s)
X
sed -i 's|^\[tool.pyramid.deploy\]$|[tool.pyramid.deploy]\np95_limit = "2s"|' pyproject.toml
commit "a report-heavy app"; verdict_of_head > /dev/null
impatient_start() {
  rm -f "$W/load.stop"
  "$PY" - "$1" "$W/load.stop" > "$W/load.out" 2>&1 <<'X' &
import os, sys, threading, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
counts = {}
def client():
    while not os.path.exists(stop):
        try: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read(); k = "ok"
        except Exception as e: k = type(e).__name__
        counts[k] = counts.get(k, 0) + 1
        time.sleep(0.02)
ts = [threading.Thread(target=client) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(counts)
X
  LOAD_PID=$!
}
impatient_start 18336
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "hang-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; e=$?
echo "  (a) v2 (hangs) deploy exit=$e $(last_row .pyramid/deploy/history.sqlite)"
grep -m3 'measurement' "$W/d2.out" | cut -c1-170 | sed 's/^/      /'
echo "      port serves now: $(get 18336)"
load_stop; echo "      clients: $(cat "$W/load.out")"
echo "      split log statuses: $(cut -d'|' -f2 .pyramid/deploy/router/split/logs/access.log 2>/dev/null | sort | uniq -c | tr '\n' ' ')"
cleanup
if [ $e = 0 ]; then echo "RESULT: BROKEN (row a: a version that answered no user request was promoted: clients' give-ups (499) are not errors)"
else echo "RESULT: HELD"; fi
