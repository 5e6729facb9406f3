#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: status saying healthy when it is not. docs/deploy.md, "After the bake: the watch":
# the serving release's traffic is judged with the same limits; policy `alert` makes `pyramid
# status` degraded. The watch reads the router's log through the same reader as the steps
# (deploy/sight.py, analysis.parse_lines): 3xx are successes whatever their share (case 421).
# A release that starts sending everybody to the sign-in page after its rollout (a session
# secret rotated by the host at midnight, an identity provider's certificate expired) is judged
# healthy for as long as it lasts.
# The app: while $W/fault exists, 500 to users; while $W/signout exists, 302 -> /login to every
# path but /login and /healthz (a fault outside the commit). watch = "alert".
# (a) [control] the fault file: `pyramid status` after 4 s;
# (b) (fault removed, a fresh deploy of the same release) the sign-out file: `pyramid status` after 4 s.
# Expected (b): degraded (exit 1), as (a).
dproj 18426 > /dev/null
sed -i 's/^watch = "off"$/watch = "alert"/' pyproject.toml
fault_app
"$PY" - "$W/signout" <<'X'
import sys
s = open("app.py").read()
s = s.replace("    def do_GET(self):\n",
              "    def do_GET(self):\n"
              "        if os.path.exists(%r) and self.path not in ('/healthz', '/login'):\n"
              "            self.send_response(302); self.send_header('Location', '/login'); self.send_header('Content-Length', '0'); self.end_headers(); return\n"
              "        if self.path == '/login':\n"
              "            data = b'please sign in\\n'\n"
              "            self.send_response(200); self.send_header('Content-Length', str(len(data))); self.end_headers(); self.wfile.write(data); return\n" % sys.argv[1])
open("app.py", "w").write(s)
X
commit "a sign-in page; faults from outside"; verdict_of_head > /dev/null
load_start 18426
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
touch "$W/fault"; sleep 4
"$PYR" status > "$W/sa.out" 2>&1; a=$?
echo "  (a) users get 500: pyramid status exit=$a $( (grep -m1 PROBLEM "$W/sa.out" || grep -m1 "^watch" "$W/sa.out") | cut -c1-170)"
rm -f "$W/fault"
"$PYR" deploy --redeploy > "$W/d2.out" 2>&1; echo "      redeploy of the same release: exit=$? $(last_row .pyramid/deploy/history.sqlite)"
touch "$W/signout"; sleep 4
"$PYR" status > "$W/sb.out" 2>&1; b=$?
echo "  (b) users get the sign-in page: pyramid status exit=$b $( (grep -m1 PROBLEM "$W/sb.out" || grep -m1 "^watch" "$W/sb.out") | cut -c1-170)"
echo "      the public port answers: $(get 18426)"
load_stop
echo "      split log statuses (both rows): $(cut -d'|' -f2 .pyramid/deploy/router/split/logs/access.log 2>/dev/null | sort | uniq -c | tr '\n' ' ')"
cleanup
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control: status said healthy while users got 500)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: pyramid status exit 0, the watch judging, while every user is sent to the sign-in page)"
else echo "RESULT: HELD"; fi
