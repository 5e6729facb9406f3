#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
source "$HERE/../_deploy8b.sh"
source "$HERE/../_deploy11b.sh"
# "Every version runs in its own session ... and is written to the process registry the moment
# it is spawned ..., so nothing a deploy starts can leak: `pyramid stop` finds it even after the
# deploy was killed"; "stopping a version signals it and every process left in its process group
# that carries its marks ... so nothing is left after `pyramid stop` or after a rollout replaces
# it"; `stop` prints "done: nothing of <work folder> is running".
# The commit's app starts a background worker in a session of its own (a queue consumer, a
# cache warmer: `subprocess.Popen(..., start_new_session=True)`, a common daemon idiom); the
# worker inherits the version's environment (PORT, PYRAMID_COMMIT, PYRAMID_RELEASE: its marks).
# (a) v2 replaces v1 (rollout succeeded): is v1's worker still running?
# (b) `pyramid stop`: is any worker still running? does `stop` say nothing is running?
# (c) before the stop, does `pyramid status` name the stray process?
# Expected: (a), (b) no process carrying a version's marks survives; or at least status/stop say so.
dproj 18330 > /dev/null
"$PY" - <<'X'
s = open("app.py").read()
s = s.replace("class H(", '''import subprocess
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)  # worker of " + BODY], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
class H(''')
open("app.py", "w").write(s)
X
commit "a background worker"; verdict_of_head > /dev/null
workers() {  # pids of the workers left, with the version they belong to
  local p; for p in $(pgrep -f "worker of " 2>/dev/null); do
    grep -qsF "$W/" /proc/$p/environ && echo "$p:$(tr '\0' ' ' < /proc/$p/cmdline | grep -o 'worker of .*' | cut -c11-)"
  done | tr '\n' ' '
}
load_start 18330
"$PYR" deploy > "$W/d1.out" 2>&1; echo "v1 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite); workers: $(workers)"
echo "good-2" > VERSION; commit v2; verdict_of_head > /dev/null
"$PYR" deploy > "$W/d2.out" 2>&1; echo "v2 deploy exit=$? $(last_row .pyramid/deploy/history.sqlite)"
load_stop
sleep 1; wa=$(workers); echo "  (a) after v2 replaced v1, workers alive: $wa"
"$PYR" status > "$W/st.out" 2>&1; echo "  (c) status exit=$? $(grep -i -m2 'unknown\|not know\|stray\|leak\|worker' "$W/st.out" | tr '\n' ' ' | head -c 200)"
"$PYR" stop > "$W/stop.out" 2>&1; echo "  (b) stop exit=$?: $(tail -1 "$W/stop.out" | head -c 150)"
sleep 1; wb=$(workers); echo "      workers alive after stop: $wb"
for p in $(pgrep -f "worker of " 2>/dev/null); do grep -qsF "$W/" /proc/$p/environ && kill -9 "$p"; done
cleanup
B=""; [[ "$wa" == *good-1* ]] && B="$B a"; [ -n "$wb" ] && B="$B b"
if [ -n "$B" ]; then echo "RESULT: BROKEN (rows$B: a version's own session-leader child, carrying its marks, outlived its version and pyramid stop)"
else echo "RESULT: HELD"; fi
