#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# The brief: a release kept that should have been refused; status saying healthy when it is not.
# A common legacy start script stops "the old instance" through a pidfile before it starts the
# new one (`kill $(cat /run/app.pid); exec app`). Under a canary that kills the stable version
# the moment the new one starts. docs/deploy.md: a dead stable makes the new version "take over"
# (rollout.py: "the new one serving everything is a rescue, not a success": outcome aborted,
# cause `stable`, not a change failure in `stats`). The release that caused it is then the one
# serving everyone.
# Setup: the app writes its pid to $W/app.pid as it starts (state outside the release); watch is
# the default `rollback` (tracked from v1 on).
# (a) [control] v2 answers 500 to every user request, plain start: rolled back, v1 serves;
# (b) v3 answers 500 to every user request, and its tracked start kills the pid in $W/app.pid.
# Expected (b): v3 does not end up serving users: the previous release is started again from its
# folder, as `pyramid rollback` does (v1's folder is there; the history knows it succeeded).
dproj 18424 > /dev/null
sed -i 's/^watch = "off"$/watch = "rollback"/' pyproject.toml
"$PY" - "$W/app.pid" <<'X'
import sys
s = open("app.py").read()
s = s.replace("class H(", "open(%r, 'w').write(str(os.getpid()))\nclass H(" % sys.argv[1], 1)
open("app.py", "w").write(s)
X
commit "a pidfile"; verdict_of_head > /dev/null
load_start 18424
"$PYR" deploy > "$W/d1.out" 2>&1; echo "  v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
echo "bad-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; a=$?
echo "  (a) v2 (500 to users) deploy exit=$a $(last_row .pyramid/deploy/history.sqlite); public port: $(get 18424)"
# v2 wrote the pidfile too, and was stopped: the "old instance" is the serving one (v1)
"$PYR" status --json 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["stable"]["pid"])' > "$W/app.pid"
echo "      the pidfile now names the serving v1: pid $(cat "$W/app.pid")"
w start.sh <<X
#!/bin/sh
# stop the old instance first
[ -f "$W/app.pid" ] && kill "\$(cat "$W/app.pid")" 2>/dev/null
exec "$PY" app.py "\$1"
X
sed -i "s|^command = .*|command = \"sh start.sh {port}\"|" pyproject.toml
echo "bad-3" > VERSION; commit "v3: start.sh stops the old instance"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d3.out" 2>&1; b=$?
echo "  (b) v3 (500 to users, start kills the predecessor) deploy exit=$b $(last_row .pyramid/deploy/history.sqlite)"
grep -i 'stable\|took over\|watch' "$W/d3.out" | head -4 | cut -c1-170 | sed 's/^/      /'
sleep 6
now=$(get 18424)
echo "      6 s later the public port answers: $now"
"$PYR" status > "$W/st.out" 2>&1; echo "      pyramid status exit=$? $(grep -m2 'stable\|watch' "$W/st.out" | tr '\n' ' ' | cut -c1-200)"
"$PYR" rollback --by oncall > "$W/rb.out" 2>&1; echo "      then pyramid rollback --by oncall: exit=$? $(grep -m1 'refused\|succeeded\|stuck' "$W/rb.out" | cut -c1-150); port: $(get 18424)"
sleep 3; echo "      3 s after that the port answers: $(get 18424)"
"$PY" - .pyramid/deploy/history.sqlite <<'Y'
import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute("select id, kind, outcome, cause, substr(reason, 1, 120) from deployments order by id"):
    print("      history", r)
Y
"$PYR" stats --json 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print("      stats:", {k: d.get(k) for k in ("change_failure_rate", "change_failures", "deployments")})' 2>/dev/null
load_stop
cleanup
if [ $a = 0 ] || [ "$(cat "$W/d2.out" | grep -c 'rolled_back\|rolled back')" = 0 ]; then echo "RESULT: VACUOUS (the control was not rolled back)"
elif [ "$now" = "ERR HTTPError 500" ]; then echo "RESULT: BROKEN (row b: a release failing every user request is left serving everyone after its start killed the stable version: the automatic rollback does not start the previous release again from its folder; then \`pyramid rollback\` gives the failing release 100% with exit 0, and the history recasts the change failure as cause stable)"
else echo "RESULT: HELD"; fi
