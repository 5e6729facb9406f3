#!/usr/bin/env bash
# round 8b (deploy side): a real deploy project on top of _preamble.sh. Sourced after it.
# dproj PORT: a tracked app (app.py: a tiny HTTP server answering "version <APP_VERSION>"),
# fast tracked rollout settings, a `ready` verdict of HEAD. Every pyramid command goes through
# host_launcher (the host is $HOME/.config/pyramid). cleanup: stops all this case started.
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
dproj() {
  base_project
  host_launcher
  printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\n*.pub\n*.key\n' >> .gitignore
  w app.py <<'X'
import http.server, os, sys
BODY = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "VERSION")).read().strip()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 500 if BODY.startswith("bad") and self.path != "/healthz" else 200
        data = ("version " + BODY + "\n").encode()
        self.send_response(code); self.send_header("Content-Length", str(len(data))); self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever(poll_interval=0.1)
X
  echo "good-1" > VERSION
  cat >> pyproject.toml <<X

[tool.pyramid.deploy]
command = "$PY app.py {port}"
port = $1
nginx = "$NGINX"
interval = "0.3s"
measurements = 1
min_requests = 1
inconclusive_limit = 40
health_timeout = "10s"
stop_timeout = "3s"
scale_down_delay = "0.5s"
bake = "0s"
watch = "off"
steps = [50, 100]
X
  commit init
  verdict_of_head
}
verdict_of_head() {
  "$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$? decision=$(decision)"
}
get() { "$PY" - "$1" <<'X'
import sys, urllib.request
try: print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=5).read().decode().strip())
except Exception as e: print("ERR", type(e).__name__, getattr(e, "code", ""))
X
}
cleanup() {
  "$PYR" stop --force > /dev/null 2>&1
  local wd
  for wd in "$W"/proj/.pyramid/deploy "$@"; do
    for f in "$wd"/supervisor.lease "$wd"/watch.lease; do
      [ -f "$f" ] && { p=$("$PY" -c 'import json,sys;print(json.loads(open(sys.argv[1]).read().strip("\0 \n"))["pid"])' "$f" 2>/dev/null); [ -n "$p" ] && kill -9 "$p" 2>/dev/null; }
    done
    for f in "$wd"/router/*/nginx.pid; do [ -f "$f" ] && kill -9 -- -"$(cat "$f")" 2>/dev/null; done
  done
  # what is left: only processes whose command line names this case's work folder, by pid
  local pid
  for pid in $(grep -lsF "$W/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    [ "$pid" != "$$" ] && kill -9 "$pid" 2>/dev/null
  done
  true
}
# load_start PORT: clients on the public port (about 50 requests/s) until load_stop
load_start() {
  rm -f "$W/load.stop"
  "$PY" - "$1" "$W/load.stop" > "$W/load.out" 2>&1 <<'X' &
import os, sys, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
while not os.path.exists(stop):
    try: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
    except Exception: pass
    time.sleep(0.02)
X
  LOAD_PID=$!
}
load_stop() { touch "$W/load.stop"; wait "$LOAD_PID" 2>/dev/null; }
