#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: no rollout goes on "when the new version is unhealthy"; docs/verdict.md: missing
# data is never a pass. docs/deploy.md, Analysis: "Errors are 5xx answers, connection failures
# and time-outs"; the log line keeps $status and $upstream_status (deploy/analysis.py:
# LOG_FORMAT). A release that fails after sending its headers (a serializer raising in a
# streamed body, a worker killed mid-answer) sends "200 OK", part of the body, and closes the
# connection: every client gets a truncated answer (an error), nginx logs "upstream
# prematurely closed connection" in its error log and status 200 in the access log.
# (a) [control] v2 answers 500 to every user request: rolled back;
# (b) v3 answers "200, Content-Length: 100" with 8 bytes, then closes, to every user request.
# Expected (b): rolled back (an answer the client never received whole is not a success).
dproj 18376 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("    def do_GET(self):\n",
              "    def do_GET(self):\n"
              "        if BODY.startswith('cut') and self.path != '/healthz':\n"
              "            self.send_response(200); self.send_header('Content-Length', '100'); self.end_headers()\n"
              "            self.wfile.write(b'version '); self.wfile.flush(); self.close_connection = True\n"
              "            import socket; self.connection.shutdown(socket.SHUT_RDWR); return\n")
open("app.py", "w").write(s)
X
commit "an answer can be cut"; verdict_of_head > /dev/null
rm -f "$W/load.stop"
"$PY" - 18376 "$W/load.stop" > "$W/load.out" 2>&1 <<'X' &
import os, sys, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
n = {}
while not os.path.exists(stop):
    try: body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read(); k = body.decode().split()[-1]
    except Exception as e: k = type(e).__name__
    n[k] = n.get(k, 0) + 1
    time.sleep(0.02)
print("clients got:", n)
X
LOAD_PID=$!
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 (500 to users) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite)"
echo "cut-3" > VERSION; commit v3; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 (cut answers) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -m2 'measurement' "$W/d3.out" | cut -c1-170 | sed 's/^/      /'
sleep 1; load_stop; echo "      $(cat "$W/load.out")"
echo "      split log statuses: $(cut -d'|' -f2,4 .pyramid/deploy/router/split/logs/access.log 2>/dev/null | sort | uniq -c | tr '\n' ' ')"
echo "      nginx error log: $(grep -c 'prematurely closed' .pyramid/deploy/router/split/logs/error.log 2>/dev/null) 'prematurely closed' line(s)"
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a release that cut every user answer short was promoted: nginx logged them 200)"
else echo "RESULT: HELD"; fi
