#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
# "A rollout stays watched when its command dies"; "trust comes from the host, not from the code
# being deployed". The deployed version runs as the deploy account (docs: "the versions included
# unless `command` starts them as another user"). v2's own tracked code, on its first user request (not the health check):
# SIGKILLs the supervisor named in supervisor.lease, then a detached child of it takes the
# (kernel-released) flock on deploy.lock and beats supervisor.lease with the tool's own
# Heartbeat; from then on v2 answers 500 to everyone. Rows, while clients keep coming (polled 15s):
# (a) `pyramid status`; (b) `pyramid supervise` (the systemd unit) running meanwhile.
# Expected: the rollout is judged (rolled back: v2 fails every request) or `status` says
# unwatched/degraded; never "watched by its supervisor" while nothing judges the errors.
# (c) the defence (docs/deploy.md "Who can write"): the host pins run_as = "nobody", so v2 runs
# as nobody (its command /usr/bin/python3: the tool's interpreter lies under /root); its SIGKILL
# to the supervisor fails (EPERM), it can write no file of the work folder, and it answers 500
# once it has tried. Rows (a), (b) have no run_as: the deploy account's rights, and they stay
# BROKEN (the lease alone cannot tell its supervisor from a process of the same account).
dproj 18225
w attack.py <<'X'
# v2's takeover: kill the supervisor, hold its lock, beat its lease (the deploy account's rights)
import fcntl, json, os, signal, sys, time
from pathlib import Path
work = Path(sys.argv[1])
lease = json.loads((work / "supervisor.lease").read_text().strip("\0 \n"))
os.kill(int(lease["pid"]), signal.SIGKILL)
fd = os.open(work / "deploy.lock", os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)  # the kernel releases the dead supervisor's lock
from pytest_pyramid.deploy.supervisor import Heartbeat
with Heartbeat(work, str(lease.get("role", "supervisor"))):
    open(work / "taken", "w").write(str(os.getpid()))
    time.sleep(3600)
X
"$PY" - <<'X'
import re
s = open("app.py").read()
s = s.replace("class H(", '''import subprocess, threading
from pathlib import Path
WORK = Path(os.environ.get("PYRAMID_RELEASE", ".")).resolve()
while WORK.name != "releases" and WORK != WORK.parent:
    WORK = WORK.parent
WORK = WORK.parent
STARTED = []
def attack():
    if not STARTED and BODY.startswith("evil"):
        STARTED.append(1)
        subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "attack.py"), str(WORK)], start_new_session=True)
class H(''')
s = s.replace("        code = 500 if BODY.startswith(\"bad\") and self.path != \"/healthz\" else 200", "        if self.path != \"/healthz\": attack()\n        code = 500 if BODY.startswith(\"bad\") or (BODY.startswith(\"evil\") and ((WORK / \"taken\").exists() or (BODY.endswith(\"c\") and STARTED))) else 200")
open("app.py", "w").write(s)
X
commit "app: the takeover is in the code"; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? served: $(get 18225)"
load_start 18225
B=""; AB=""
for r in a b c; do
  rm -f .pyramid/deploy/taken
  if [ $r = c ]; then  # the host's key; the command is tracked, so v2c's commit changes it
    echo 'run_as = "nobody"' > "$HOME/.config/pyramid/deploy.toml"
    sed -i "s|^command = .*|command = \"/usr/bin/python3 app.py {port}\"|" pyproject.toml
  fi
  echo "evil-2$r" > VERSION; commit "v2$r"; verdict_of_head > /dev/null
  SUP=""
  if [ $r = b ]; then "$PYR" supervise > "$W/sup.out" 2>&1 & SUP=$!; fi
  "$PYR" deploy --measurements 5 --bake 10m --detach > "$W/$r.out" 2>&1; echo "  ($r) v2 deploy --detach exit=$?"
  if [ $r = c ]; then
    grep -q 'versions run as nobody' "$W/$r.out" && echo "      $(grep -m1 -o 'versions run as [^(]*' "$W/$r.out")"
    for i in $(seq 1 100); do grep -qs 'PermissionError' .pyramid/deploy/logs/*.log && break; sleep 0.2; done
    echo "      the takeover: $(grep -hs -m1 'PermissionError' .pyramid/deploy/logs/*.log | head -c 120)"
  else
    for i in $(seq 1 100); do [ -f .pyramid/deploy/taken ] && break; sleep 0.2; done
    [ -f .pyramid/deploy/taken ] && echo "      the takeover ran (holder pid $(cat .pyramid/deploy/taken))" || echo "      the takeover did not run"
  fi
  watched=0; st=""
  for i in $(seq 1 30); do
    sleep 0.5; "$PYR" status > "$W/$r-st.out" 2>&1; st=$?
    grep -q 'watched by its supervisor' "$W/$r-st.out" && watched=$((watched+1))
  done
  echo "      last status exit=$st: $(grep -m1 -io 'rollout #.*' "$W/$r-st.out" | head -c 200)"
  errs=$(for i in 1 2 3 4 5 6 7 8 9 10; do get 18225; done | grep -c 'ERR')
  echo "      status said 'watched by its supervisor' $watched times of 30; now $errs of 10 requests fail"
  [ -n "$SUP" ] && { kill "$SUP" 2>/dev/null; wait "$SUP" 2>/dev/null; echo "      supervise said: $(grep -m2 -i 'lease\|resum\|rollout' "$W/sup.out" | tr '\n' ' ' | head -c 200)"; }
  if [ $r = c ]; then
    L=$(ls -t .pyramid/deploy/supervisor/*-deploy-*.log | head -1)
    grep -q 'rolled_back' "$L" && C=rolled_back || C=""
    echo "      (c) the rollout: $(grep -m1 -o 'rolled_back.*' "$L" | head -c 150)"
    { [ $watched -gt 20 ] || [ -z "$C" ] || [ "$errs" -gt 0 ]; } && B="$B $r"
  else
    [ $watched -gt 20 ] && AB="$AB $r"
  fi
  H=$(cat .pyramid/deploy/taken 2>/dev/null); [ -n "$H" ] && kill -9 "$H" 2>/dev/null
  "$PYR" abort --wait 30s > "$W/$r-abort.out" 2>&1; echo "      abort exit=$? $(tail -1 "$W/$r-abort.out" | head -c 150)"
done
load_stop; cleanup
[ -n "$AB" ] && echo "rows$AB without run_as: BROKEN (the deployed code killed its supervisor and beat its lease; status says watched while v2 fails every request): the host key is the defence"
[ -n "$B" ] && echo "RESULT: BROKEN (row c, run_as = nobody: the takeover was not stopped or the rollout not judged)" || echo "RESULT: HELD (row c: with the host's run_as the version cannot kill its supervisor; v2 rolled back)"
