#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# docs/deploy.md: "`requires = "staging"` ... staging's last attempt of the commit must be
# `succeeded` judged on real traffic ... A staging deployment nobody sent a request to (hostile
# case 324) ... is no proof." The router's log format (deploy/analysis.py: LOG_FORMAT) has no
# path: every request through the public port counts the same. At night staging's only
# visitor is the uptime monitor polling /healthz through its public port (as a load
# balancer's or Kubernetes' probe does). The commit answers 500 to every user request
# (the fault file: a dependency staging has and CI's fakes have not); /healthz answers 200.
# (a) [control] production before staging deployed: refused;
# (b) staging deploys it with only the monitor's /healthz requests; then production --dry-run.
# Expected (b): refused: no request of a user was judged (the health path is the deploy's own
# check, not traffic), or staging itself rolled back.
envproj 18372 18373 > /dev/null
"$PYR" deploy --env production --dry-run > "$W/a.out" 2>&1; a=$?
echo "  (a) production first: exit=$a $(grep -m1 -io 'production requires[^(]*' "$W/a.out" | head -c 150)"
touch "$W/fault"
rm -f "$W/load.stop"
"$PY" - 18372 "$W/load.stop" > "$W/mon.out" 2>&1 <<'X' &
import os, sys, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
n = {}
while not os.path.exists(stop):
    try: k = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status
    except Exception as e: k = getattr(e, "code", type(e).__name__)
    n[k] = n.get(k, 0) + 1
    time.sleep(0.02)
print("monitor:", n)
X
LOAD_PID=$!
"$PYR" deploy --env staging > "$W/s1.out" 2>&1; echo "  staging deploy exit=$? $(last_row .pyramid/deploy/staging/history.sqlite); a user gets: $(get 18372)"
load_stop; echo "      $(cat "$W/mon.out")"
grep -m2 'measurement' "$W/s1.out" | cut -c1-170 | sed 's/^/      /'
"$PYR" deploy --env production --dry-run > "$W/b.out" 2>&1; b=$?
echo "  (b) production after staging saw only health checks: exit=$b $(grep -m1 '^\[gate\] environment:\|refused:' "$W/b.out" | head -c 200)"
rm -f "$W/fault"
for e in staging production; do "$PYR" stop --force --env $e > /dev/null 2>&1; done
cleanup "$W"/proj/.pyramid/deploy/staging "$W"/proj/.pyramid/deploy/production
if [ $a = 0 ]; then echo "RESULT: VACUOUS (the control was not refused)"
elif [ $b = 0 ]; then echo "RESULT: BROKEN (row b: a staging deploy whose only requests were /healthz probes was production's proof of a healthy staging deploy, while every user request got 500)"
else echo "RESULT: HELD"; fi
